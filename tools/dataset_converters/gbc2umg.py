#!/usr/bin/env python
r"""Convert GBC (graph-based captions: GBC1M, GBC10M; JSON lines of GbcGraph) into UMG JSON-lines shards
(docs/data_format.md, "From GBC").

The short and original captions become image captions (the long detail caption too with --with-detail); every
entity, composition and relation vertex a region (its relative box scaled to pixels) captioned with its
descriptions; an entity is tagged with the texts of the edges pointing at it, the image with those of the image
vertex. GBC records carry no image size: it is read from the image file's header under --image-root (the image
is img_path, else the file name of img_url). A line that cannot be converted is counted, named and skipped.

Example:
    python tools/dataset_converters/gbc2umg.py data/gbc10m/gbc10m-*.jsonl data/gbc10m/umg/train \
        --image-root data/gbc10m/images --image-prefix images
    # then: UMGDataset(ann_files='umg/train-*.jsonl', data_root='data/gbc10m')
"""
import argparse
import os.path as osp
import posixpath
import sys


def records(files, args, bad):
    from umgclip_mm.datasets.converters import (ConversionError, convert_gbc, gbc_image_file, image_size,
                                                iter_json_records)
    for where, graph in iter_json_records(files, bad):
        try:
            if not isinstance(graph, dict):
                raise ConversionError('a line must be a JSON object (a GbcGraph)')
            name = gbc_image_file(graph)
            height, width = image_size(osp.join(args.image_root, name))
            image = posixpath.join(args.image_prefix, name) if args.image_prefix else name
            yield convert_gbc(graph, image, height, width, with_detail=args.with_detail, bad=bad)
        except ConversionError as err:
            bad('bad graph', where, str(err))


def convert(args):
    from umgclip_mm.datasets.converters import BadRecords, expand_inputs, write_records
    bad = BadRecords()
    write_records(records(expand_inputs(args.inputs, 'GBC file'), args, bad), args.out, args.shard_size, bad)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('inputs', nargs='+', help='GBC .jsonl files (or .json lists); globs allowed')
    parser.add_argument('out', help='output prefix: writes OUT-00000.jsonl, OUT-00001.jsonl, ...')
    parser.add_argument('--image-root', required=True, help='folder of the images (their sizes are read there)')
    parser.add_argument('--image-prefix', default='', help='prefix of image paths, relative to the data root')
    parser.add_argument('--with-detail', action='store_true', help='keep the long detail captions')
    parser.add_argument('--shard-size', type=int, default=100000, help='images per shard')
    args = parser.parse_args(argv)  # --help answers before the package (and torch) is imported
    from umgclip_mm.datasets.converters import run_tool
    return run_tool(convert, args)


if __name__ == '__main__':
    sys.exit(main())
