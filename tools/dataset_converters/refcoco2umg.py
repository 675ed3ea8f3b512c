#!/usr/bin/env python
r"""Convert RefCOCO, RefCOCO+ or RefCOCOg into UMG JSON-lines shards (docs/data_format.md, "From RefCOCO").

Each referred COCO instance becomes a mask (its polygons from instances.json) and a box, both captioned with all
its referring expressions and tagged with its category. The refs pickle (refs(unc).p, refs(umd).p,
refs(google).p) is read with a restricted unpickler that builds only builtin containers, strings and numbers: a
pickle naming anything else (a function, a class) is refused before anything runs.

Example:
    python tools/dataset_converters/refcoco2umg.py data/refcoco/umg/train --refs data/refcoco/refs\(unc\).p \
        --instances data/refcoco/instances.json --image-prefix train2014 --splits train
    # then: UMGDataset(ann_files='refcoco/umg/train-*.jsonl', data_root='data/refcoco/..')  (COCO train2014)
"""
import argparse
import sys


def convert(args):
    from umgclip_mm.datasets.converters import (BadRecords, convert_refcoco, load_data_pickle, load_json,
                                                write_records)
    bad = BadRecords()
    refs = load_data_pickle(args.refs)
    instances = load_json(args.instances, '--instances')
    splits = None if args.splits == ['all'] else args.splits
    records = list(convert_refcoco(refs, instances, splits=splits, image_prefix=args.image_prefix, bad=bad))
    write_records(records, args.out, args.shard_size, bad)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('out', help='output prefix: writes OUT-00000.jsonl, OUT-00001.jsonl, ...')
    parser.add_argument('--refs', required=True, help='the refs pickle, e.g. refcoco/refs(unc).p')
    parser.add_argument('--instances', required=True, help='the data set\'s instances.json')
    parser.add_argument('--splits', nargs='+', default=['train'],
                        help='ref splits kept (train val test testA testB), or "all"; keep evaluation splits out '
                        'of pretraining (default: train)')
    parser.add_argument('--image-prefix', default='', help='prefix of image paths, relative to the data root')
    parser.add_argument('--shard-size', type=int, default=100000, help='images per shard')
    args = parser.parse_args(argv)  # --help answers before the package (and torch) is imported
    from umgclip_mm.datasets.converters import run_tool
    return run_tool(convert, args)


if __name__ == '__main__':
    sys.exit(main())
