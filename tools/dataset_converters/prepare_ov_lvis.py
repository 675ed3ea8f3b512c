#!/usr/bin/env python
"""Make the open-vocabulary LVIS (OV-LVIS) training file: LVIS v1 train without the rare classes' annotations.

The protocol of ViLD, Detic, F-VLM and F-ViT: train on the annotations of the frequent and common classes (866, the
"base" classes), evaluate on all 1203 of LVIS v1 val, with mask (or box) AP of the 337 rare classes, APr, as the
open-vocabulary figure. The output is what Detic's tools/remove_lvis_rare.py makes (Detic's datasets/README.md):

    lvis_v1_train_norare.json   lvis_v1_train.json less every annotation of a category whose "frequency" is "r"

Everything else is kept as it is: all images (those left without annotations are dropped at training time by the
data set's ``filter_empty_gt``), and all 1203 categories with their ``frequency`` field, so labels keep LVIS's
order and the rare classes stay known by name (the data set's ``novel_classes``).

Example:
    python tools/dataset_converters/prepare_ov_lvis.py data/lvis_v1
    # reads data/lvis_v1/annotations/lvis_v1_train.json, writes data/lvis_v1/annotations/lvis_v1_train_norare.json
"""
import argparse
import collections
import json
import os
import os.path as osp
import sys
from typing import Sequence

OUT_NAME = 'lvis_v1_train_norare.json'
FREQUENCIES = ('r', 'c', 'f')


def load_lvis(path: str) -> dict:
    """Load an LVIS v1 file, with errors that say what is missing and where it comes from."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path} not found: it is LVIS v1\'s training annotations (lvis_v1_train.json.zip '
                                f'from https://www.lvisdataset.org/dataset, unzipped into LVIS_ROOT/annotations/); '
                                f'pass the LVIS root, or the file with --train-ann')
    with open(path) as f:
        data = json.load(f)
    for key in ('images', 'annotations', 'categories'):
        if key not in data:
            raise ValueError(f'{path}: no "{key}" field; this is not an LVIS file (expected lvis_v1_train.json)')
    bad = [c.get('name', c.get('id')) for c in data['categories'] if c.get('frequency') not in FREQUENCIES]
    if bad:
        raise ValueError(f'{path}: categories {bad[:5]}{"..." if len(bad) > 5 else ""} have no "frequency" of '
                         f'"r", "c" or "f"; OV-LVIS needs LVIS v1\'s own file, whose categories carry it')
    return data


def remove_frequencies(data: dict, exclude: Sequence[str] = ('r', )) -> dict:
    """LVIS data less the annotations of the categories whose ``frequency`` is in ``exclude``.

    Args:
        data (dict): A loaded LVIS file (categories with ``frequency``).
        exclude (Sequence[str]): Frequencies to drop; ``('r',)`` is OV-LVIS.

    Returns:
        dict: A new dict, the same but for ``annotations``.
    """
    dropped = {c['id'] for c in data['categories'] if c['frequency'] in exclude}
    return dict(data, annotations=[a for a in data['annotations'] if a['category_id'] not in dropped])


def main(argv=None) -> str:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('lvis_root', help='LVIS root holding annotations/lvis_v1_train.json')
    parser.add_argument('--train-ann', help='the train file (default: LVIS_ROOT/annotations/lvis_v1_train.json)')
    parser.add_argument('--out', help=f'output file (default: {OUT_NAME} beside the train file)')
    args = parser.parse_args(argv)
    src = args.train_ann or osp.join(args.lvis_root, 'annotations', 'lvis_v1_train.json')
    out = args.out or osp.join(osp.dirname(src), OUT_NAME)
    data = load_lvis(src)
    kept = remove_frequencies(data, ('r', ))
    freq = collections.Counter(c['frequency'] for c in data['categories'])
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    with open(out, 'w') as f:
        json.dump(kept, f)
    print(f"wrote {out}: {len(kept['annotations'])} of {len(data['annotations'])} annotations kept "
          f"(those of {freq['r']} rare categories removed), {len(kept['images'])} images, "
          f"{len(kept['categories'])} categories (f {freq['f']}, c {freq['c']}, r {freq['r']})")
    return out


if __name__ == '__main__':
    try:
        main()
    except (FileNotFoundError, ValueError) as err:
        sys.exit(f'error: {err}')
