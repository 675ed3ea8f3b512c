#!/usr/bin/env python
"""Make ADE20K-847 (A-847) from the ADE20K full release, in the detectron2 layout of FC-CLIP / SAN / CAT-Seg:

    ADE20K_2021_17_01/images_detectron2/{validation,training}/ADE_*.jpg
    ADE20K_2021_17_01/annotations_detectron2/{validation,training}/ADE_*.tif

(labels: uint16 class index 0..846, 65535 = ignore), read by ``umgclip_mm.ADE20K847Dataset``
(configs/_base_/datasets/ov_semseg_ade20k-847.py).

Input: ``ADE20K_2021_17_01.zip`` from https://ade20k.csail.mit.edu/ (free registration), unzipped:
``ADE20K_2021_17_01/index_ade20k.pkl`` (lists every image as ``folder`` + ``filename``) and
``ADE20K_2021_17_01/images/ADE/{training,validation}/<scene>/.../ADE_val_00000001.jpg`` with its object map
``ADE_val_00000001_seg.png``.

What it does, per image (the facts of ODISE's / FC-CLIP's ``datasets/prepare_ade20k_full_sem_seg.py``):

- the object class of a pixel is ``(R // 10) * 256 + G`` of the ``_seg.png``; the 847 classes are the ADE20K-full
  object ids of ``ade20k_full_ids.txt`` beside this tool (``ADE20K_FULL_IDS[i]`` is class ``i``, the ``i``-th line of
  ``umgclip_mm/vocabulary/class_lists/ade20k_847.txt``), ordered as the published lists (FC-CLIP, SAN, ODISE); any
  other id (and 0, unlabelled) becomes 65535;
- an image whose shorter side exceeds ``--max-size`` (512) is resized to that shorter side (longer side rounded in
  proportion; image bilinear, labels nearest), as the published benchmark was;
- the image is written back through PIL (JPEG, PIL's default quality, as the reference script does) and the labels
  as a uint16 TIFF; the split comes from the file name (``ADE_val_*`` -> validation, else training).

Example:
    python tools/dataset_converters/prepare_ade20k_847.py data/ADE20K_2021_17_01            # validation only
    python tools/dataset_converters/prepare_ade20k_847.py data/ADE20K_2021_17_01 --splits validation training
"""
import argparse
import os
import os.path as osp
import pickle
import sys

import numpy as np

IGNORE = 65535
SPLITS = ('validation', 'training')
#: The file of the ADE20K-full object ids of the 847 classes, in class-index order (beside this tool).
ADE20K_FULL_IDS_FILE = osp.join(osp.dirname(osp.abspath(__file__)), 'ade20k_full_ids.txt')


def read_full_ids(path: str = ADE20K_FULL_IDS_FILE) -> tuple:
    """The object ids of ``path``: whitespace-separated integers, ``#`` comment lines skipped.

    Raises:
        ValueError: the file does not hold 847 distinct ids.
    """
    with open(path, encoding='utf-8') as f:
        ids = tuple(int(v) for line in f if not line.lstrip().startswith('#') for v in line.split())
    if len(ids) != 847 or len(set(ids)) != 847:
        raise ValueError(f'{path}: expected 847 distinct object ids, found {len(ids)} ({len(set(ids))} distinct)')
    return ids


ADE20K_FULL_IDS = read_full_ids()


def class_map(pixels_rgb: np.ndarray) -> np.ndarray:
    """ADE20K-full object class per pixel of a ``_seg.png`` (H, W, 3 RGB): ``(R // 10) * 256 + G`` (int32)."""
    r = pixels_rgb[..., 0].astype(np.int32)
    g = pixels_rgb[..., 1].astype(np.int32)
    return (r // 10) * 256 + g


def to_847(objects: np.ndarray) -> np.ndarray:
    """ADE20K-full object ids -> 847-class index (uint16), 65535 for ids outside the 847."""
    lut = np.full(max(ADE20K_FULL_IDS) + 1, IGNORE, np.uint16)
    lut[list(ADE20K_FULL_IDS)] = np.arange(len(ADE20K_FULL_IDS), dtype=np.uint16)
    out = np.full(objects.shape, IGNORE, np.uint16)
    known = (objects >= 0) & (objects < len(lut))
    out[known] = lut[objects[known]]
    return out


def new_size(h: int, w: int, max_size: int):
    """(h, w) after shrinking the shorter side to ``max_size`` (None when it is not longer than that)."""
    if w >= h > max_size:
        return max_size, round(w / float(h) * max_size)
    if h >= w > max_size:
        return round(h / float(w) * max_size), max_size
    return None


def find_image(root: str, folder: str, filename: str) -> str:
    """Where index_ade20k.pkl's ``folder/filename`` is: its folders start with the release's own folder name
    (``ADE20K_2021_17_01/images/ADE/...``), so they are resolved against ``root``'s parent, then ``root``."""
    candidates = [osp.join(osp.dirname(osp.abspath(root)), folder, filename), osp.join(root, folder, filename)]
    for path in candidates:
        if osp.isfile(path):
            return path
    raise FileNotFoundError(f'{candidates[0]}: image listed in index_ade20k.pkl (folder {folder!r}) not found; '
                            f'unzip all of ADE20K_2021_17_01.zip (https://ade20k.csail.mit.edu/) and pass its folder')


def convert(root: str, out: str, splits, max_size: int) -> dict:
    """Convert the images of ``splits`` listed in ``root/index_ade20k.pkl`` into ``out``; returns counts per split."""
    import cv2
    from mmengine.utils import track_iter_progress
    from PIL import Image

    from umgclip_mm.datasets.converters import load_data_pickle

    index_file = osp.join(root, 'index_ade20k.pkl')
    if not osp.isfile(index_file):
        raise FileNotFoundError(f'{index_file} not found: pass the folder of the unzipped ADE20K full release '
                                f'(ADE20K_2021_17_01.zip from https://ade20k.csail.mit.edu/, with index_ade20k.pkl '
                                f'and images/ADE/)')
    # read without running code: builtin data and numpy arrays only (the release's index holds both)
    index = load_data_pickle(index_file, allow_numpy=True)
    if not isinstance(index, dict) or 'folder' not in index or 'filename' not in index:
        keys = sorted(index)[:5] if isinstance(index, dict) else '-'
        raise ValueError(f'{index_file}: expected a dict with the lists "folder" and "filename" (the release\'s '
                         f'index); got {type(index).__name__} with keys {keys}')
    counts = {s: 0 for s in splits}
    for s in splits:
        os.makedirs(osp.join(out, 'images_detectron2', s), exist_ok=True)
        os.makedirs(osp.join(out, 'annotations_detectron2', s), exist_ok=True)
    for folder, filename in track_iter_progress((zip(index['folder'], index['filename']), len(index['filename'])),
                                                file=sys.stderr):
        split = 'validation' if filename.split('_')[1] == 'val' else 'training'
        if split not in counts:
            continue
        img_path = find_image(root, folder, filename)
        seg_path = img_path[:-len('.jpg')] + '_seg.png'
        if not osp.isfile(seg_path):
            raise FileNotFoundError(f'{seg_path}: object map of {img_path} not found; the full release has one '
                                    f'_seg.png per image')
        img = np.asarray(Image.open(img_path).convert('RGB'))
        seg = np.asarray(Image.open(seg_path).convert('RGB'))
        if seg.shape[:2] != img.shape[:2]:
            raise ValueError(f'{seg_path}: {seg.shape[:2]} pixels but its image has {img.shape[:2]}')
        objects = class_map(seg)
        size = new_size(img.shape[0], img.shape[1], max_size)
        if size is not None:
            img = cv2.resize(img, (size[1], size[0]), interpolation=cv2.INTER_LINEAR)
            objects = cv2.resize(objects, (size[1], size[0]), interpolation=cv2.INTER_NEAREST)
        stem = osp.splitext(filename)[0]
        Image.fromarray(img).save(osp.join(out, 'images_detectron2', split, stem + '.jpg'))
        Image.fromarray(to_847(objects)).save(osp.join(out, 'annotations_detectron2', split, stem + '.tif'))
        counts[split] += 1
    return counts


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('root', help='the unzipped ADE20K_2021_17_01 folder (with index_ade20k.pkl)')
    parser.add_argument('--out', help='where images_detectron2/ and annotations_detectron2/ go (default: root)')
    parser.add_argument('--splits', nargs='+', choices=SPLITS, default=['validation'],
                        help='splits to convert (default: validation, the benchmark)')
    parser.add_argument('--max-size', type=int, default=512,
                        help='shrink images whose shorter side is longer to this (default 512, as published)')
    args = parser.parse_args(argv)
    try:
        counts = convert(args.root, args.out or args.root, args.splits, args.max_size)
    except (FileNotFoundError, ValueError, pickle.UnpicklingError) as err:  # the refused unsafe index included
        sys.exit(f'prepare_ade20k_847: {err}')
    for split, n in counts.items():
        print(f'{split}: {n} images -> {osp.join(args.out or args.root, "annotations_detectron2", split)}')
    return counts


if __name__ == '__main__':
    main()
