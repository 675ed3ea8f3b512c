#!/usr/bin/env python
r"""Convert Visual Genome 1.2 into UMG JSON-lines shards (docs/data_format.md, "From Visual Genome").

- image_data.json          -> image file (VG_100K/ or VG_100K_2/, from each image's url) and size
- region_descriptions.json -> regions captioned with their phrases
- objects.json             -> regions tagged with the object's names; the image's tags are all object names
- attributes.json          -> tags '<attribute> <name>' added to the object of the same object_id
Any of the last three may be left out. An entry that cannot be converted is counted, named and skipped.

Example:
    python tools/dataset_converters/vg2umg.py data/vg/umg/train --image-data data/vg/image_data.json \
        --region-descriptions data/vg/region_descriptions.json --objects data/vg/objects.json \
        --attributes data/vg/attributes.json
    # then: UMGDataset(ann_files='umg/train-*.jsonl', data_root='data/vg')  (data/vg/VG_100K/, VG_100K_2/)
"""
import argparse
import sys


def convert(args):
    from umgclip_mm.datasets.converters import (BadRecords, convert_visual_genome, index_by_image, load_json,
                                                progress, write_records)
    bad = BadRecords()
    image_data = load_json(args.image_data, '--image-data')
    indexed = {}
    for option, key in (('region_descriptions', 'regions'), ('objects', 'objects'), ('attributes', 'attributes')):
        path = getattr(args, option)
        if path:
            print(f'reading {path}', file=sys.stderr, flush=True)
            indexed[option] = index_by_image(load_json(path, f'--{option.replace("_", "-")}'), key,
                                             option + '.json', bad)
    records = convert_visual_genome(progress(image_data), indexed.get('region_descriptions'), indexed.get('objects'),
                                    indexed.get('attributes'), image_prefix=args.image_prefix, bad=bad)
    write_records(records, args.out, args.shard_size, bad, show_progress=False)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('out', help='output prefix: writes OUT-00000.jsonl, OUT-00001.jsonl, ...')
    parser.add_argument('--image-data', required=True, help='image_data.json (image ids, sizes, urls)')
    parser.add_argument('--region-descriptions', help='region_descriptions.json')
    parser.add_argument('--objects', help='objects.json')
    parser.add_argument('--attributes', help='attributes.json')
    parser.add_argument('--image-prefix', default='', help='prefix of image paths, relative to the data root')
    parser.add_argument('--shard-size', type=int, default=100000, help='images per shard')
    args = parser.parse_args(argv)  # --help answers before the package (and torch) is imported
    from umgclip_mm.datasets.converters import run_tool
    return run_tool(convert, args)


if __name__ == '__main__':
    sys.exit(main())
