"""UMGDataset: lazy index, bad input skipped and reported, every level packed (transforms: test_umg_transforms)."""
import json
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from pycocotools import mask as mask_utils

from umgclip_mm.datasets import UMGDataset
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
    torch.testing.assert_close(s.regions.bboxes,
                               torch.tensor([[5 * 32 / 60, 5 * 32 / 40, 30 * 32 / 60, 20 * 32 / 40]]))
    assert s.regions.caption == ['a box'] and s.regions.tags == [['box']]
    assert s.masks.masks.shape == (1, 32, 32) and s.masks.caption == ['a mask'] and s.masks.tags == [['mask']]
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


def test_records_without_masks_or_regions_go_through_the_training_pipeline(data):
    """No ``masks`` key, ``masks: []``, no regions: once ``cannot reshape array of size 0`` in the random crop."""
    no_masks = {k: v for k, v in record('a.png').items() if k != 'masks'}
    write_shard(data / 's.jsonl', [no_masks, record('a.png', masks=[]), record('a.png', regions=[], masks=[])])
    pipeline = [dict(type='umgclip_mm.LoadUMGImage'), dict(type='umgclip_mm.LoadUMGAnnotations'),
                dict(type='umgclip_mm.UMGRandomResizedCrop', size=24),
                dict(type='umgclip_mm.SampleCaptions'), dict(type='umgclip_mm.PackUMGInputs')]
    ds = UMGDataset('s.jsonl', data_root=str(data), pipeline=pipeline, test_mode=True)
    samples = [ds[i]['data_samples'] for i in range(3)]
    assert [len(s.masks) for s in samples] == [0, 0, 0] and samples[2].regions.bboxes.shape == (0, 4)
    assert all(s.masks.masks.shape == (0, 24, 24) for s in samples)


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
        draws.append(([s['data_samples'].caption for s in out], [s['data_samples'].regions.bboxes for s in out]))
    assert draws[0][0] == draws[1][0] and all(torch.equal(a, b) for a, b in zip(draws[0][1], draws[1][1]))
    assert draws[0][0] != draws[2][0] or not all(torch.equal(a, b) for a, b in zip(draws[0][1], draws[2][1]))
