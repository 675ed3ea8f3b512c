"""OVCocoPanopticDataset: COCO panoptic restricted to the seen classes."""
import json
import os.path as osp

import pytest
from mmengine.registry import init_default_scope

from umgclip_mm.datasets import OVCocoPanopticDataset
from umgclip_mm.datasets.toy_world import STUFF, THINGS, UNSEEN, generate


@pytest.fixture(scope='module')
def root(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('toy'))
    generate(root, num_train=30, num_val=0, size=48)
    return root


def build(root, classes, **kwargs):
    init_default_scope('mmdet')
    things = [c for c in classes if c in THINGS]
    stuff = [c for c in classes if c in STUFF]
    return OVCocoPanopticDataset(
        data_root=root, ann_file='annotations/panoptic_train.json',
        data_prefix=dict(img='images/train/', seg='annotations/panoptic_train/'),
        metainfo=dict(classes=things + stuff, thing_classes=things, stuff_classes=stuff), pipeline=[],
        filter_cfg=dict(filter_empty_gt=False), **kwargs)


def test_unseen_segments_are_dropped_and_their_images_skipped_on_request(root):
    seen = [c for c in list(THINGS) + list(STUFF) if c not in UNSEEN]
    everything = build(root, list(THINGS) + list(STUFF))
    subset = build(root, seen)
    skipped = build(root, seen, skip_unlisted_images=True)
    anns = json.load(open(osp.join(root, 'annotations', 'panoptic_train.json')))
    names = {c['id']: c['name'] for c in anns['categories']}
    shows_unseen = {a['image_id'] for a in anns['annotations']
                    for s in a['segments_info'] if names[s['category_id']] in UNSEEN}
    assert len(everything) == len(subset) == 30
    assert 0 < len(skipped) == 30 - len(shows_unseen)
    for i in range(len(subset)):
        full, part = everything.get_data_info(i), subset.get_data_info(i)
        kept = [s for s in full['segments_info'] if everything.metainfo['classes'][s['category']] not in UNSEEN]
        assert len(part['segments_info']) == len(kept)
        assert all(subset.metainfo['classes'][s['category']] not in UNSEEN for s in part['segments_info'])
    assert not any(d['img_id'] in shows_unseen for d in (skipped.get_data_info(i) for i in range(len(skipped))))


def test_nothing_left_is_a_clear_error(root):
    with pytest.raises(ValueError, match='skip_unlisted_images'):
        build(root, ['circle'], skip_unlisted_images=True)
