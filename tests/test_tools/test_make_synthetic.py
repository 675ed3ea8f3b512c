"""tools/dataset_converters/make_synthetic.py: deterministic scenes, consistent across the three formats."""
import hashlib
import json
import os.path as osp

import cv2
import numpy as np
from panopticapi.utils import rgb2id
from pycocotools import mask as mask_utils

from conftest import run_tool


def digest(root):
    h = hashlib.sha256()
    for rel in ('umg/train.jsonl', 'annotations/panoptic_val.json', 'images/val/val_000001.png'):
        with open(osp.join(root, rel), 'rb') as f:
            h.update(f.read())
    return h.hexdigest()


def test_generates_consistent_formats(tmp_path):
    out = tmp_path / 'syn'
    proc = run_tool('tools/dataset_converters/make_synthetic.py', str(out), '--num-train', '6', '--num-val', '3',
                    '--size', '64')
    assert 'train' in proc.stdout
    assert run_tool('tools/dataset_converters/make_synthetic.py', '--help').stdout.startswith('usage:')
    classes = (out / 'vocab' / 'classes.txt').read_text().split()
    seen, unseen = (out / 'vocab' / 'seen.txt').read_text().split(), (out / 'vocab' / 'unseen.txt').read_text().split()
    assert sorted(seen + unseen) == sorted(classes) and unseen and not set(seen) & set(unseen)

    records = [json.loads(line) for line in open(out / 'umg' / 'train.jsonl')]
    assert len(records) == 6
    pan = json.load(open(out / 'annotations' / 'panoptic_train.json'))
    cats = {c['id']: c for c in pan['categories']}
    for rec, ann in zip(records, pan['annotations']):
        img = cv2.imread(str(out / rec['image']))
        assert img.shape == (64, 64, 3) and rec['captions'] and rec['tags']
        ids = rgb2id(cv2.imread(str(out / 'annotations' / 'panoptic_train' / ann['file_name']))[..., ::-1])
        sem = cv2.imread(str(out / 'semantic' / 'train' / ann['file_name']), cv2.IMREAD_UNCHANGED)
        assert len(ann['segments_info']) == len(rec['masks'])  # one mask per panoptic segment
        for seg, m in zip(ann['segments_info'], rec['masks']):
            bitmap = mask_utils.decode(dict(size=m['segmentation']['size'],
                                            counts=m['segmentation']['counts'].encode()))
            assert np.array_equal(ids == seg['id'], bitmap == 1) and seg['area'] == bitmap.sum()
            name = cats[seg['category_id']]['name']
            assert name in m['tags'] and (sem[bitmap == 1] == classes.index(name)).all()
        things = [s for s in ann['segments_info'] if cats[s['category_id']]['isthing']]
        assert len(things) == len(rec['regions'])
        for seg, region in zip(things, rec['regions']):  # a region is its thing's tight box, as xyxy
            ys, xs = np.nonzero(ids == seg['id'])
            assert region['bbox'] == [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]
            x, y, w, h = seg['bbox']
            assert region['bbox'] == [x, y, x + w, y + h]
    again = tmp_path / 'again'
    run_tool('tools/dataset_converters/make_synthetic.py', str(again), '--num-train', '6', '--num-val', '3',
             '--size', '64')
    assert digest(out) == digest(again)
