#!/usr/bin/env python
"""Make PASCAL Context-459 (PC-459) in FC-CLIP's detectron2 layout:

    pascal_ctx_d2/images/validation/2008_000002.jpg ...
    pascal_ctx_d2/annotations_ctx459/validation/2008_000002.tif ...

(labels: uint16 class index 0..458, 65535 = ignore), read by ``umgclip_mm.PascalContext459Dataset``
(configs/_base_/datasets/ov_semseg_pascal-context-459.py).

Inputs:

- ``VOCdevkit/VOC2010/JPEGImages/*.jpg``: VOC2010 (``VOCtrainval_03-May-2010.tar`` from
  http://host.robots.ox.ac.uk/pascal/VOC/voc2010/);
- ``trainval/*.mat``: PASCAL Context's full labels (``trainval.tar.gz`` from
  https://cs.stanford.edu/~roozbeh/pascal-context/), field ``LabelMap``: per pixel the 1-based index into the 459
  names of its ``labels.txt``, 0 = unlabelled (default folder: ``VOC2010/trainval``);
- the image ids of the split: a text file with one id per line (default
  ``VOC2010/ImageSets/SegmentationContext/val.txt``, which mmseg's ``tools/dataset_converters/pascal_context.py``
  writes: the 5105 validation images), or ``trainval_merged.json`` (the Detail API file, its ``images`` with
  ``"phase": "val"``) with ``--trainval-json``.

What it does (the facts of ODISE's / FC-CLIP's ``datasets/prepare_pascal_ctx_full_sem_seg.py``): label ``k >= 1``
becomes class ``k - 1`` (line ``k`` of ``umgclip_mm/vocabulary/class_lists/pascal_context_459.txt``), 0 becomes
65535, written as a uint16 TIFF; the image is copied unchanged.

Example:
    python tools/dataset_converters/prepare_pascal_context_459.py data/VOCdevkit/VOC2010 --out data/pascal_ctx_d2
"""
import argparse
import json
import os
import os.path as osp
import shutil
import sys

import numpy as np

IGNORE = 65535
NUM_CLASSES = 459


def to_459(label_map: np.ndarray, where: str) -> np.ndarray:
    """PASCAL Context ``LabelMap`` (1-based over the 459 names, 0 = unlabelled) -> 0-based uint16, 65535 = ignore.

    Raises:
        ValueError: naming ``where``, for a label above 459 or a non-integer map.
    """
    if not np.issubdtype(label_map.dtype, np.integer):
        raise ValueError(f'{where}: LabelMap is {label_map.dtype}, expected integer class indices')
    labels = label_map.astype(np.int64)
    if labels.size and (labels.min() < 0 or labels.max() > NUM_CLASSES):
        raise ValueError(f'{where}: LabelMap values {labels.min()}..{labels.max()} outside 0..{NUM_CLASSES}; is this '
                         f'the full (459-class) trainval .mat of PASCAL Context?')
    return (labels - 1).astype(np.uint16)  # 0 wraps to 65535


def read_split(voc_root: str, split_file: str = None, trainval_json: str = None, phase: str = 'val'):
    """Image ids of the split, from a list file or from trainval_merged.json."""
    if trainval_json:
        if not osp.isfile(trainval_json):
            raise FileNotFoundError(f'--trainval-json {trainval_json} not found: it is the Detail API\'s '
                                    f'trainval_merged.json (https://github.com/zhanghang1989/detail-api)')
        with open(trainval_json, encoding='utf-8') as f:
            images = json.load(f).get('images', [])
        ids = [osp.splitext(im['file_name'])[0] for im in images if im.get('phase') == phase]
        if not ids:
            raise ValueError(f'{trainval_json}: no image with "phase": "{phase}" in its "images"')
        return ids
    split_file = split_file or osp.join(voc_root, 'ImageSets', 'SegmentationContext', f'{phase}.txt')
    if not osp.isfile(split_file):
        raise FileNotFoundError(f'{split_file}: split list not found; make it with mmseg\'s '
                                f'tools/dataset_converters/pascal_context.py (needs trainval_merged.json), or pass '
                                f'--split-file (one image id per line) or --trainval-json trainval_merged.json')
    with open(split_file, encoding='utf-8') as f:
        return [ln.strip() for ln in f if ln.strip()]


def convert(voc_root: str, out: str, mat_dir: str = None, split_file: str = None, trainval_json: str = None,
            split: str = 'validation') -> int:
    """Write ``out/images/<split>/*.jpg`` and ``out/annotations_ctx459/<split>/*.tif``; returns the image count."""
    from mmengine.utils import track_iter_progress
    from PIL import Image
    from scipy.io import loadmat

    img_dir = osp.join(voc_root, 'JPEGImages')
    if not osp.isdir(img_dir):
        raise FileNotFoundError(f'{img_dir} not found: pass the VOC2010 folder (VOCdevkit/VOC2010 of '
                                f'VOCtrainval_03-May-2010.tar, http://host.robots.ox.ac.uk/pascal/VOC/voc2010/)')
    mat_dir = mat_dir or osp.join(voc_root, 'trainval')
    if not osp.isdir(mat_dir):
        raise FileNotFoundError(f'{mat_dir} not found: unpack PASCAL Context\'s trainval.tar.gz '
                                f'(https://cs.stanford.edu/~roozbeh/pascal-context/) there, or pass --mat-dir')
    ids = read_split(voc_root, split_file, trainval_json, 'val' if split == 'validation' else 'train')
    out_img, out_ann = osp.join(out, 'images', split), osp.join(out, 'annotations_ctx459', split)
    os.makedirs(out_img, exist_ok=True)
    os.makedirs(out_ann, exist_ok=True)
    for image_id in track_iter_progress(list(ids), file=sys.stderr):
        img, mat = osp.join(img_dir, image_id + '.jpg'), osp.join(mat_dir, image_id + '.mat')
        for path, what in ((img, 'VOC2010 image'), (mat, 'PASCAL Context label (.mat)')):
            if not osp.isfile(path):
                raise FileNotFoundError(f'{path}: {what} of split image {image_id} not found')
        data = loadmat(mat)
        if 'LabelMap' not in data:
            raise ValueError(f'{mat}: no field LabelMap (fields: {sorted(k for k in data if not k.startswith("__"))})'
                             f'; use the full-label trainval .mat files of PASCAL Context')
        Image.fromarray(to_459(data['LabelMap'], mat)).save(osp.join(out_ann, image_id + '.tif'))
        shutil.copyfile(img, osp.join(out_img, image_id + '.jpg'))
    return len(ids)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('voc_root', help='VOCdevkit/VOC2010 (with JPEGImages/)')
    parser.add_argument('--out', default='data/pascal_ctx_d2', help='output folder (default data/pascal_ctx_d2)')
    parser.add_argument('--mat-dir', help='folder of PASCAL Context\'s trainval/*.mat (default VOC_ROOT/trainval)')
    parser.add_argument('--split-file', help='image ids, one per line (default '
                        'VOC_ROOT/ImageSets/SegmentationContext/val.txt, or train.txt with --split training)')
    parser.add_argument('--trainval-json', help='take the ids from the Detail API\'s trainval_merged.json instead')
    parser.add_argument('--split', choices=('validation', 'training'), default='validation')
    args = parser.parse_args(argv)
    try:
        n = convert(args.voc_root, args.out, args.mat_dir, args.split_file, args.trainval_json, args.split)
    except (FileNotFoundError, ValueError) as err:
        sys.exit(f'prepare_pascal_context_459: {err}')
    print(f'{args.split}: {n} images -> {osp.join(args.out, "annotations_ctx459", args.split)}')
    return n


if __name__ == '__main__':
    main()
