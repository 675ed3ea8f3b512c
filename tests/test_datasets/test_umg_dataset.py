"""UMGDataset and the UMG transforms: lazy index, bad input skipped and reported, annotations kept consistent."""
import json
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from pycocotools import mask as mask_utils

from umgclip_mm.datasets import (LoadUMGAnnotations, PackUMGInputs, SampleCaptions, UMGDataset,
                                 UMGRandomResizedCrop)
from umgclip_mm.datasets.umg_dataset import index_lines

PIPELINE = [dict(type='umgclip_mm.LoadUMGImage'), dict(type='umgclip_mm.LoadUMGAnnotations'),
            dict(type='umgclip_mm.UMGRandomResizedCrop', size=32, random=False),
            dict(type='umgclip_mm.SampleCaptions', random=False), dict(type='umgclip_mm.PackUMGInputs')]


def rle_of(mask):
    r = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    return dict(size=list(r['size']), counts=r['counts'].decode())


def write_image(root, name, h=40, w=60):
    img = np.zeros((h, w, 3), np.uint8)
    img[:, : w // 2] = (0, 0, 255)
    cv2.imwrite(osp.join(root, name), img)


def record(name, h=40, w=60, **kw):
    m = np.zeros((h, w), np.uint8)
    m[5:20, 5:30] = 1
    rec = dict(image=name, height=h, width=w, captions=['a red half'], tags=['red'],
               regions=[dict(bbox=[5, 5, 30, 20], captions=['a box'], tags=['box'])],
               masks=[dict(segmentation=rle_of(m), captions=['a mask'], tags=['mask'])])
    rec.update(kw)
    return rec


@pytest.fixture
def data(tmp_path):
    write_image(str(tmp_path), 'a.png')
    return tmp_path


def write_shard(path, lines):
    with open(path, 'w') as f:
        for line in lines:
            f.write((line if isinstance(line, str) else json.dumps(line)) + '\n')


def test_index_lines_skips_blank_lines_and_handles_chunk_boundaries(tmp_path):
    p = tmp_path / 's.jsonl'
    p.write_bytes(b'{"a": 1}\n\n{"b": 22}\r\n\r\n{"c": 333}')
    offs = index_lines(str(p), chunk_size=4)
    assert offs.tolist() == [0, 10, 23]
    assert offs.dtype == np.int64


def test_reads_lazily_and_packs_every_level(data):
    write_shard(data / 's0.jsonl', [record('a.png')] * 3)
    write_shard(data / 's1.jsonl', [record('a.png', captions=['second shard'])])
    ds = UMGDataset(['s0.jsonl', 's1.jsonl'], data_root=str(data), pipeline=PIPELINE, test_mode=True)
    assert len(ds) == 4 and ds.offsets.nbytes == 4 * 8
    assert ds.locate(3) == (str(data / 's1.jsonl'), 1)
    out = ds[3]
    assert out['inputs'].shape == (3, 32, 32) and out['inputs'].dtype == torch.uint8
    s = out['data_samples']
    assert s.caption == 'second shard' and s.tags == ['red']
    torch.testing.assert_close(s.region_boxes, torch.tensor([[5 * 32 / 60, 5 * 32 / 40, 30 * 32 / 60, 20 * 32 / 40]]))
    assert s.region_caption == ['a box'] and s.region_tags == [['box']]
    assert s.masks.shape == (1, 32, 32) and s.mask_caption == ['a mask']
    assert s.metainfo['source'] == 's1.jsonl:1'


def test_bad_lines_and_images_are_skipped_and_logged(data, caplog):
    lines = [record('a.png'), 'not json {', record('missing.png'), dict(image='a.png', height=0, width=5),
             record('a.png', captions=['last'])]
    (data / 'corrupt.png').write_bytes(b'\x89PNG garbage')
    lines.append(record('corrupt.png'))
    write_shard(data / 'bad.jsonl', lines)
    ds = UMGDataset('bad.jsonl', data_root=str(data), pipeline=PIPELINE, test_mode=True, max_bad_fraction=1.0)
    from mmengine.logging import MMLogger
    MMLogger.get_instance('umg_test')
    assert ds[1]['data_samples'].caption == 'last'  # lines 2, 3, 4 skipped: the next good one is line 5
    assert ds[5]['data_samples'].caption == 'a red half'  # corrupt image skipped, wraps to line 1
    assert ds.bad_lines == 2


def test_too_many_bad_lines_stop_with_a_clear_error(data):
    write_shard(data / 'junk.jsonl', ['{"not": "a record"}'] * 10 + [json.dumps(record('a.png'))])
    ds = UMGDataset('junk.jsonl', data_root=str(data), pipeline=PIPELINE, test_mode=True, min_lines_checked=5)
    with pytest.raises(ValueError, match=r'junk.jsonl:\d+.*docs/data_format.md'):
        ds[0]


def test_missing_shard_names_the_path_and_the_fix(tmp_path):
    with pytest.raises(FileNotFoundError, match='make_synthetic.py'):
        UMGDataset('nope/*.jsonl', data_root=str(tmp_path))


def test_bad_items_are_dropped_the_image_kept():
    h, w = 40, 60
    good = np.zeros((h, w), np.uint8)
    good[1:5, 1:5] = 1
    results = dict(img=np.zeros((h, w, 3), np.uint8), img_shape=(h, w), source='x.jsonl:7', captions=['', ' ok '],
                   tags=['t', ''],
                   regions=[dict(bbox=[100, 100, 120, 130], captions=['outside']),
                            dict(bbox=[5, 5, 5, 30], captions=['zero area']),
                            dict(bbox=[0, 0, float('nan'), 3], captions=['nan']),
                            dict(bbox=[-10, -10, 20, 10], tags=['clipped']),
                            dict(bbox=[1, 1, 9, 9], captions=[''])],
                   masks=[dict(segmentation=dict(size=[h, w], counts='P1'), captions=['bad rle']),
                          dict(segmentation=dict(size=[h, w + 1], counts=rle_of(good)['counts']), captions=['size']),
                          dict(segmentation=[[1, 1, 2]], captions=['short polygon']),
                          dict(segmentation=rle_of(np.zeros((h, w))), captions=['empty']),
                          dict(segmentation=[[1, 1, 20, 1, 20, 20]], captions=['triangle']),
                          dict(segmentation=rle_of(good), captions=[], tags=[])])
    out = LoadUMGAnnotations().transform(results)
    assert out['captions'] == ['ok'] and out['tags'] == ['t']
    assert out['gt_bboxes'].tolist() == [[0, 0, 20, 10]] and out['region_tags'] == [['clipped']]
    assert out['gt_masks'].shape == (1, h, w) and out['mask_captions'] == [['triangle']]


def test_random_resized_crop_keeps_annotations_consistent():
    h, w = 100, 100
    img = np.zeros((h, w, 3), np.uint8)
    masks = np.zeros((2, h, w), np.uint8)
    masks[0, 10:30, 10:30] = 1
    masks[1, 70:90, 70:90] = 1
    results = dict(img=img, gt_bboxes=np.array([[10, 10, 30, 30], [70, 70, 90, 90]], np.float32),
                   region_captions=[['left'], ['right']], region_tags=[['l'], ['r']], gt_masks=masks,
                   mask_captions=[['left'], ['right']], mask_tags=[['l'], ['r']])
    t = UMGRandomResizedCrop(size=50, flip_prob=1.0)
    t.crop_params = lambda h, w, rng: (0, 0, 50, 50)  # the top-left quarter: only 'left' survives
    out = t.transform(results)
    assert out['img'].shape == (50, 50, 3) and out['flip']
    assert out['region_captions'] == [['left']] and out['mask_captions'] == [['left']]
    np.testing.assert_allclose(out['gt_bboxes'], [[50 - 30, 10, 50 - 10, 30]])
    ys, xs = np.nonzero(out['gt_masks'][0])
    assert (xs.min(), xs.max(), ys.min(), ys.max()) == (20, 39, 10, 29)  # the same place as the flipped box


def test_sample_captions_and_pack():
    results = dict(img=np.zeros((8, 8, 3), np.uint8), captions=['a', 'b'], tags=['x'],
                   gt_bboxes=np.zeros((1, 4), np.float32), region_captions=[[]], region_tags=[['y']],
                   gt_masks=np.zeros((0, 8, 8), np.uint8), mask_captions=[], mask_tags=[])
    out = PackUMGInputs().transform(SampleCaptions(random=False).transform(results))
    s = out['data_samples']
    assert s.caption == 'a' and s.region_caption == [''] and s.masks.shape == (0, 8, 8)
    drawn = {SampleCaptions().transform(dict(results))['caption'] for _ in range(50)}
    assert drawn == {'a', 'b'}


def test_random_transforms_follow_the_seeded_global_generator(data):
    """mmengine seeds numpy per worker from randomness=dict(seed=...): the same seed gives the same sample."""
    write_shard(data / 's.jsonl', [record('a.png', captions=['one', 'two', 'three'])] * 4)
    pipeline = [dict(type='umgclip_mm.LoadUMGImage'), dict(type='umgclip_mm.LoadUMGAnnotations'),
                dict(type='umgclip_mm.UMGRandomResizedCrop', size=24, scale=(0.2, 1.0)),
                dict(type='umgclip_mm.SampleCaptions'), dict(type='umgclip_mm.PackUMGInputs')]
    ds = UMGDataset('s.jsonl', data_root=str(data), pipeline=pipeline)
    draws = []
    for seed in (0, 0, 1):
        np.random.seed(seed)
        out = [ds[i] for i in range(4)]
        draws.append(([s['data_samples'].caption for s in out], [s['data_samples'].region_boxes for s in out]))
    assert draws[0][0] == draws[1][0] and all(torch.equal(a, b) for a, b in zip(draws[0][1], draws[1][1]))
    assert draws[0][0] != draws[2][0] or not all(torch.equal(a, b) for a, b in zip(draws[0][1], draws[2][1]))
