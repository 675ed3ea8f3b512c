#!/usr/bin/env python
"""Convert COCO annotations into UMG JSON-lines shards (docs/data_format.md), so COCO can be pretrained on at once.

- captions_*.json   -> image-level captions
- instances_*.json  -> regions: each non-crowd box, tagged with its category, captioned "a <category>"
- panoptic_*.json + its PNG folder -> masks: every segment (things and stuff) as an RLE, tagged and captioned
Image-level tags are the categories present. Any of the three may be left out.

Example:
    python tools/dataset_converters/coco2umg.py data/coco/umg/train --image-prefix train2017 \
        --captions data/coco/annotations/captions_train2017.json \
        --instances data/coco/annotations/instances_train2017.json \
        --panoptic data/coco/annotations/panoptic_train2017.json \
        --panoptic-dir data/coco/annotations/panoptic_train2017
    # then: UMGDataset(ann_files='umg/train-*.jsonl', data_root='data/coco')
"""
import argparse
import json
import os
import os.path as osp
import re
import sys
from collections import defaultdict


def clean_name(name: str) -> str:
    """COCO panoptic names like 'wall-other-merged' -> 'wall'; 'traffic light' stays."""
    name = re.sub(r'-(merged|other|stuff)\b', '', name)
    return name.replace('-', ' ').strip()


def load_json(path, what):
    if not osp.isfile(path):
        raise FileNotFoundError(f'--{what}: {path!r} does not exist')
    with open(path, encoding='utf-8') as f:
        return json.load(f)


def convert(args):
    import numpy as np
    from mmengine.utils import track_iter_progress
    from panopticapi.utils import rgb2id
    from PIL import Image
    from pycocotools import mask as mask_utils

    images, captions, regions, masks, tags = {}, defaultdict(list), defaultdict(list), defaultdict(list), \
        defaultdict(set)
    if args.captions:
        data = load_json(args.captions, 'captions')
        images.update({im['id']: im for im in data['images']})
        for ann in data['annotations']:
            captions[ann['image_id']].append(ann['caption'].strip())
    if args.instances:
        data = load_json(args.instances, 'instances')
        images.update({im['id']: im for im in data['images']})
        names = {c['id']: clean_name(c['name']) for c in data['categories']}
        for ann in data['annotations']:
            x, y, w, h = ann['bbox']
            if ann.get('iscrowd') or w <= 0 or h <= 0:
                continue
            name = names[ann['category_id']]
            regions[ann['image_id']].append(dict(bbox=[x, y, x + w, y + h], captions=[f'a {name}'], tags=[name]))
            tags[ann['image_id']].add(name)
    if args.panoptic:
        if not args.panoptic_dir:
            raise ValueError('--panoptic needs --panoptic-dir (the folder of panoptic PNGs)')
        data = load_json(args.panoptic, 'panoptic')
        images.update({im['id']: im for im in data['images']})
        cats = {c['id']: c for c in data['categories']}
        for ann in track_iter_progress(data['annotations'], file=sys.stderr):
            png = osp.join(args.panoptic_dir, ann['file_name'])
            if not osp.isfile(png):
                print(f'skipped panoptic {png}: file missing', file=sys.stderr)
                continue
            ids = rgb2id(np.asarray(Image.open(png).convert('RGB')))
            for seg in ann['segments_info']:
                bitmap = np.asfortranarray((ids == seg['id']).astype(np.uint8))
                if not bitmap.any():
                    continue
                cat = cats[seg['category_id']]
                name = clean_name(cat['name'])
                rle = mask_utils.encode(bitmap)
                caption = f'a {name}' if cat.get('isthing') else f'the {name}'
                masks[ann['image_id']].append(dict(
                    segmentation=dict(size=[int(v) for v in rle['size']], counts=rle['counts'].decode('ascii')),
                    captions=[caption], tags=[name]))
                tags[ann['image_id']].add(name)
    if not images:
        raise ValueError('give at least one of --captions, --instances, --panoptic')

    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    shard, written, out = -1, 0, None
    for n, image_id in enumerate(sorted(images)):
        if n % args.shard_size == 0:
            if out:
                out.close()
            shard += 1
            out = open(f'{args.out}-{shard:05d}.jsonl', 'w', encoding='utf-8')
        im = images[image_id]
        rec = dict(image=osp.join(args.image_prefix, im['file_name']) if args.image_prefix else im['file_name'],
                   height=im['height'], width=im['width'], captions=captions[image_id],
                   tags=sorted(tags[image_id]), regions=regions[image_id], masks=masks[image_id])
        out.write(json.dumps(rec) + '\n')
        written += 1
    out.close()
    print(f'wrote {written} images in {shard + 1} shard(s) to {args.out}-*.jsonl: '
          f'{sum(map(len, regions.values()))} regions, {sum(map(len, masks.values()))} masks, '
          f'{sum(map(len, captions.values()))} captions')


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('out', help='output prefix: writes OUT-00000.jsonl, OUT-00001.jsonl, ...')
    parser.add_argument('--captions', help='COCO captions json')
    parser.add_argument('--instances', help='COCO instances json')
    parser.add_argument('--panoptic', help='COCO panoptic json')
    parser.add_argument('--panoptic-dir', help='folder of the panoptic PNGs')
    parser.add_argument('--image-prefix', default='', help='prefix of image paths, relative to the data root')
    parser.add_argument('--shard-size', type=int, default=100000, help='images per shard')
    convert(parser.parse_args(argv))


if __name__ == '__main__':
    main()
