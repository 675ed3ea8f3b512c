#!/usr/bin/env python
r"""Convert COCO annotations into UMG JSON-lines shards (docs/data_format.md, "From COCO"): captions, instances
and panoptic of an image in one record.

- captions_*.json   -> image-level captions
- instances_*.json  -> regions: each non-crowd box, tagged with its category, captioned "a <category>"
- panoptic_*.json + its PNG folder -> masks: every segment (things and stuff) as an RLE, tagged and captioned
Image-level tags are the categories present. Any of the three may be left out. An annotation that cannot be
converted (unknown image or category, a box outside the image, a missing PNG) is counted, named and skipped.

Example:
    python tools/dataset_converters/coco2umg.py data/coco/umg/train --image-prefix train2017 \
        --captions data/coco/annotations/captions_train2017.json \
        --instances data/coco/annotations/instances_train2017.json \
        --panoptic data/coco/annotations/panoptic_train2017.json \
        --panoptic-dir data/coco/annotations/panoptic_train2017
    # then: UMGDataset(ann_files='umg/train-*.jsonl', data_root='data/coco')
"""
import argparse
import sys


def convert(args):
    from umgclip_mm.datasets.converters import BadRecords, convert_coco, load_json, write_records
    files = {k: load_json(getattr(args, k), f'--{k}') if getattr(args, k) else None
             for k in ('captions', 'instances', 'panoptic')}
    bad = BadRecords()
    records = list(convert_coco(**files, panoptic_dir=args.panoptic_dir, image_prefix=args.image_prefix, bad=bad))
    write_records(records, args.out, args.shard_size, bad)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('out', help='output prefix: writes OUT-00000.jsonl, OUT-00001.jsonl, ...')
    parser.add_argument('--captions', help='COCO captions json')
    parser.add_argument('--instances', help='COCO instances json')
    parser.add_argument('--panoptic', help='COCO panoptic json')
    parser.add_argument('--panoptic-dir', help='folder of the panoptic PNGs')
    parser.add_argument('--image-prefix', default='', help='prefix of image paths, relative to the data root')
    parser.add_argument('--shard-size', type=int, default=100000, help='images per shard')
    args = parser.parse_args(argv)  # --help answers before the package (and torch) is imported
    from umgclip_mm.datasets.converters import run_tool
    return run_tool(convert, args)


if __name__ == '__main__':
    sys.exit(main())
