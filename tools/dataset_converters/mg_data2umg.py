#!/usr/bin/env python
r"""Convert MG-Data (8M CC3M/CC12M images with short and long captions, object masks with object captions and
region masks with region captions, COCO RLE) into UMG JSON-lines shards (docs/data_format.md, "From MG-Data").

Each object and each region becomes a mask captioned with its caption (--object-boxes: also a box per object);
the short caption (and the long one with --with-long) the image captions. The data set card does not publish the
JSON field names (only related_objects, and the RLE's size and counts): the defaults below are our reading of
it; rename any with --field ROLE=NAME (e.g. --field caption=object_caption --field mask=segmentation). A sample that
cannot be converted is counted, named and skipped.

Example:
    python tools/dataset_converters/mg_data2umg.py data/mg_data/annotations/*.jsonl data/mg_data/umg/train \
        --image-prefix images
    # then: UMGDataset(ann_files='umg/train-*.jsonl', data_root='data/mg_data')
"""
import argparse
import sys


def records(files, args, fields, bad):
    from umgclip_mm.datasets.converters import ConversionError, convert_mg_data, iter_json_records
    for where, sample in iter_json_records(files, bad):
        try:
            if not isinstance(sample, dict):
                raise ConversionError('a sample must be a JSON object')
            yield convert_mg_data(sample, fields, with_long=args.with_long, object_boxes=args.object_boxes,
                                  image_prefix=args.image_prefix, bad=bad)
        except ConversionError as err:
            bad('bad sample', where, str(err))


def convert(args):
    from umgclip_mm.datasets.converters import (MG_DATA_FIELDS, BadRecords, ConversionError, expand_inputs,
                                                write_records)
    fields = {}
    for item in args.field or []:
        role, _, name = item.partition('=')
        if role not in MG_DATA_FIELDS or not name:
            raise ConversionError(f'--field {item!r}: expected ROLE=NAME with ROLE one of {sorted(MG_DATA_FIELDS)}')
        fields[role] = name
    files = expand_inputs(args.inputs, 'MG-Data annotation file')
    bad = BadRecords()
    write_records(records(files, args, fields, bad), args.out, args.shard_size, bad)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('inputs', nargs='+', help='annotation files (.jsonl, or .json lists/objects); globs allowed')
    parser.add_argument('out', help='output prefix: writes OUT-00000.jsonl, OUT-00001.jsonl, ...')
    parser.add_argument('--field', action='append', metavar='ROLE=NAME',
                        help='rename a field (repeatable); roles and defaults: image=image height=height width=width '
                        'short_caption=short_caption long_caption=long_caption objects=objects regions=regions '
                        'caption=caption mask=mask related_objects=related_objects')
    parser.add_argument('--with-long', action='store_true', help='keep the long captions')
    parser.add_argument('--object-boxes', action='store_true', help='also a box per object (the mask\'s)')
    parser.add_argument('--image-prefix', default='', help='prefix of image paths, relative to the data root')
    parser.add_argument('--shard-size', type=int, default=100000, help='images per shard')
    args = parser.parse_args(argv)  # --help answers before the package (and torch) is imported
    from umgclip_mm.datasets.converters import run_tool
    return run_tool(convert, args)


if __name__ == '__main__':
    sys.exit(main())
