#!/usr/bin/env python
"""Make the open-vocabulary COCO (OV-COCO) annotation files from COCO 2017's instance annotations.

The split is OVR-CNN's (Zareian et al., CVPR 2021; alirezazareian/ovr-cnn ipynb/003.ipynb), used by Detic, F-VLM,
BARON, CORA and F-ViT: 48 base classes to train on, 17 novel classes never annotated in training
(umgclip_mm/vocabulary/class_lists/ov_coco_base_48.txt, ov_coco_novel_17.txt). It writes, under the same names as
OVR-CNN and Detic (Detic's datasets/README.md) and mmdet's 48/17 configs:

    instances_train2017_seen_2.json   train2017 annotations of the 48 base classes
    instances_val2017_all_2.json      val2017 annotations of the 65 base and novel classes

As OVR-CNN does, each file keeps only its classes' categories (48 / 65, in COCO's order, each with
``"split": "seen"`` or ``"unseen"``), their annotations (crowd ones included), and the images with at least one of
them; category ids stay COCO's. ``--oriorder`` also writes Detic's ``*_oriorder.json`` copies, whose ``categories``
are COCO's 80 (what Detic's tools/get_coco_zeroshot_oriorder.py makes, for code that indexes 80 classes).

Example:
    python tools/dataset_converters/prepare_ov_coco.py data/coco
    # reads data/coco/annotations/instances_{train,val}2017.json, writes data/coco/annotations/instances_*_2.json
"""
import argparse
import json
import os
import os.path as osp
import sys
from typing import Dict, List, Sequence

CLASS_LISTS = osp.join(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'umgclip_mm', 'vocabulary',
                       'class_lists')
TRAIN_OUT = 'instances_train2017_seen_2.json'
VAL_OUT = 'instances_val2017_all_2.json'


def read_names(path: str) -> List[str]:
    """Class names of a class-list file (one a line, ``#`` comments skipped)."""
    with open(path, encoding='utf-8') as f:
        return [ln.strip() for ln in f if ln.strip() and not ln.startswith('#')]


def load_coco(path: str, what: str) -> dict:
    """Load a COCO instances file, with errors that say what is missing and where it comes from."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path} not found: it is the COCO 2017 {what} file (annotations_trainval2017.zip '
                                f'from https://cocodataset.org/#download, unzipped into the COCO root); pass the '
                                f'COCO root that holds annotations/, or the file with --{what}-ann')
    with open(path) as f:
        data = json.load(f)
    for key in ('images', 'annotations', 'categories'):
        if key not in data:
            raise ValueError(f'{path}: no "{key}" field; this is not a COCO instances file (expected '
                             f'instances_{what}2017.json with images, annotations and categories)')
    return data


def ov_split(data: dict, path: str, base: Sequence[str], novel: Sequence[str], keep: Sequence[str]) -> dict:
    """OVR-CNN's filtering of one COCO instances file.

    Args:
        data (dict): The loaded COCO instances file.
        path (str): Its path, for error messages.
        base (Sequence[str]): The base class names (split ``"seen"``).
        novel (Sequence[str]): The novel class names (split ``"unseen"``).
        keep (Sequence[str]): The splits to keep: ``('seen',)`` or ``('seen', 'unseen')``.

    Returns:
        dict: A new file: only the kept classes' categories (COCO's order and ids, with ``split``), their
        annotations, and the images showing at least one of them; other top-level fields are carried over.
    """
    split_of = {**{n: 'seen' for n in base}, **{n: 'unseen' for n in novel}}
    names = {c['name'] for c in data['categories']}
    missing = [n for n in split_of if n not in names]
    if missing:
        raise ValueError(f'{path}: "categories" lacks {missing}; OV-COCO needs COCO 2017\'s category names '
                         f'(instances_train2017.json / instances_val2017.json as released)')
    cats = [dict(c, split=split_of[c['name']]) for c in data['categories'] if split_of.get(c['name']) in keep]
    cat_ids = {c['id'] for c in cats}
    anns = [a for a in data['annotations'] if a['category_id'] in cat_ids]
    img_ids = {a['image_id'] for a in anns}
    out = {k: v for k, v in data.items() if k not in ('images', 'annotations', 'categories')}
    out.update(images=[im for im in data['images'] if im['id'] in img_ids], annotations=anns, categories=cats)
    return out


def dump(data: dict, path: str) -> None:
    with open(path, 'w') as f:
        json.dump(data, f)
    print(f"wrote {path}: {len(data['images'])} images, {len(data['annotations'])} annotations, "
          f"{len(data['categories'])} categories")


def main(argv=None) -> Dict[str, str]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('coco_root', help='COCO root holding annotations/instances_{train,val}2017.json')
    parser.add_argument('--train-ann', help='train file (default: COCO_ROOT/annotations/instances_train2017.json)')
    parser.add_argument('--val-ann', help='val file (default: COCO_ROOT/annotations/instances_val2017.json)')
    parser.add_argument('--out-dir', help='where to write (default: COCO_ROOT/annotations)')
    parser.add_argument('--oriorder', action='store_true',
                        help="also write Detic's *_oriorder.json copies, with COCO's 80 categories")
    args = parser.parse_args(argv)
    ann_dir = osp.join(args.coco_root, 'annotations')
    out_dir = args.out_dir or ann_dir
    base = read_names(osp.join(CLASS_LISTS, 'ov_coco_base_48.txt'))
    novel = read_names(osp.join(CLASS_LISTS, 'ov_coco_novel_17.txt'))
    written = {}
    for what, keep, out_name in (('train', ('seen', ), TRAIN_OUT), ('val', ('seen', 'unseen'), VAL_OUT)):
        src = getattr(args, f'{what}_ann') or osp.join(ann_dir, f'instances_{what}2017.json')
        data = load_coco(src, what)
        split = ov_split(data, src, base, novel, keep)
        os.makedirs(out_dir, exist_ok=True)
        written[what] = osp.join(out_dir, out_name)
        dump(split, written[what])
        if args.oriorder:
            written[f'{what}_oriorder'] = osp.join(out_dir, out_name[:-len('.json')] + '_oriorder.json')
            dump(dict(split, categories=data['categories']), written[f'{what}_oriorder'])
    return written


if __name__ == '__main__':
    try:
        main()
    except (FileNotFoundError, ValueError) as err:
        sys.exit(f'error: {err}')
