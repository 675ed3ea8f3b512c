#!/usr/bin/env python
r"""Convert Flickr30k Entities into UMG JSON-lines shards (docs/data_format.md, "From Flickr30k Entities").

For each image id (from --ids, a split file such as train.txt, or every Annotations/*.xml): the five sentences of
Sentences/<id>.txt, markup removed, become the image captions; each entity with a box in Annotations/<id>.xml a
region captioned with its phrases ([/EN#<id>/<type> phrase]) and tagged with its types (except "other").
An image whose files are missing or malformed is counted, named and skipped.

Example:
    python tools/dataset_converters/flickr30k_entities2umg.py data/flickr30k/umg/train \
        --entities data/flickr30k_entities --ids data/flickr30k_entities/train.txt --image-prefix flickr30k-images
    # then: UMGDataset(ann_files='umg/train-*.jsonl', data_root='data/flickr30k')
"""
import argparse
import glob
import os.path as osp
import posixpath
import sys


def records(ids, args, bad):
    from umgclip_mm.datasets.converters import ConversionError, convert_flickr30k_entities
    for image_id in ids:
        files = [osp.join(args.entities, sub, f'{image_id}.{ext}')
                 for sub, ext in (('Sentences', 'txt'), ('Annotations', 'xml'))]
        try:
            texts = []
            for path in files:
                if not osp.isfile(path):
                    raise ConversionError(f'{path} not found')
                with open(path, encoding='utf-8') as f:
                    texts.append(f.read())
            image = posixpath.join(args.image_prefix, f'{image_id}.jpg') if args.image_prefix else f'{image_id}.jpg'
            yield convert_flickr30k_entities(image, *texts, where=image_id, bad=bad)
        except (ConversionError, UnicodeDecodeError) as err:
            bad('bad image', image_id, str(err))


def convert(args):
    from umgclip_mm.datasets.converters import BadRecords, ConversionError, progress, write_records
    if args.ids:
        if not osp.isfile(args.ids):
            raise FileNotFoundError(f'--ids: {args.ids!r} does not exist')
        ids = [line.strip() for line in open(args.ids) if line.strip()]
    else:
        ids = sorted(osp.basename(p)[:-4] for p in glob.glob(osp.join(args.entities, 'Annotations', '*.xml')))
    if not ids:
        raise ConversionError(f'no image id: {args.entities}/Annotations/ has no .xml file and no --ids was given')
    bad = BadRecords()
    write_records(records(progress(ids), args, bad), args.out, args.shard_size, bad, show_progress=False)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('out', help='output prefix: writes OUT-00000.jsonl, OUT-00001.jsonl, ...')
    parser.add_argument('--entities', required=True, help='the folder holding Annotations/ and Sentences/')
    parser.add_argument('--ids', help='a file of image ids, one a line (train.txt); default: every annotation')
    parser.add_argument('--image-prefix', default='', help='prefix of image paths (<id>.jpg), relative to the '
                        'data root')
    parser.add_argument('--shard-size', type=int, default=100000, help='images per shard')
    args = parser.parse_args(argv)  # --help answers before the package (and torch) is imported
    from umgclip_mm.datasets.converters import run_tool
    return run_tool(convert, args)


if __name__ == '__main__':
    sys.exit(main())
