"""UMGWebDataset reads UMG-41M's layout (json beside each image) from tar shards and folders."""
import io
import json
import os
import os.path as osp
import tarfile

import pytest
import torch
from mmengine.dataset import pseudo_collate

from umgclip_mm.datasets import UMGDataset, UMGWebDataset, umg41m_record
from umgclip_mm.datasets.toy_world import generate

PIPELINE = [dict(type='umgclip_mm.LoadUMGImage'), dict(type='umgclip_mm.LoadUMGAnnotations'),
            dict(type='umgclip_mm.UMGRandomResizedCrop', size=32, random=False),
            dict(type='umgclip_mm.SampleCaptions', random=False), dict(type='umgclip_mm.PackUMGInputs')]


@pytest.fixture(scope='module')
def toy(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('toy'))
    generate(root, num_train=6, num_val=0, size=48)
    records = [json.loads(line) for line in open(osp.join(root, 'umg', 'train.jsonl'))]
    # the folder layout: a/b/<key>.json beside a/b/<key>.png; one pair with a broken JSON
    folder = osp.join(root, 'umg41m_folder')
    tar_path = osp.join(root, 'shard-000.tar')
    with tarfile.open(tar_path, 'w') as tar:
        for i, rec in enumerate(records):
            key = f'sub{i % 2}/{i:04d}'
            meta = json.dumps({k: v for k, v in rec.items() if k != 'image'}).encode()
            img = open(osp.join(root, rec['image']), 'rb').read()
            os.makedirs(osp.join(folder, f'sub{i % 2}'), exist_ok=True)
            for ext, data in (('json', meta), ('png', img)):
                open(osp.join(folder, f'{key}.{ext}'), 'wb').write(data)
                info = tarfile.TarInfo(f'{key}.{ext}')
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    open(osp.join(folder, 'sub0', 'broken.json'), 'w').write('{not json')
    open(osp.join(folder, 'sub0', 'broken.png'), 'wb').write(img)
    return root, records, folder, tar_path


def captions(samples):
    return sorted(s['data_samples'].caption for s in samples)


def test_tar_and_folder_give_the_same_samples_as_jsonl(toy):
    root, records, folder, tar_path = toy
    ref = UMGDataset('umg/train.jsonl', data_root=root, pipeline=PIPELINE, test_mode=True)
    expected = captions(ref[i] for i in range(len(ref)))
    from_tar = list(UMGWebDataset(tar_path, pipeline=PIPELINE, test_mode=True))
    from_folder = list(UMGWebDataset(folder, pipeline=PIPELINE, test_mode=True))  # the broken pair is skipped
    assert captions(from_tar) == expected == captions(from_folder)
    by_caption = {s['data_samples'].caption: s for s in from_tar}
    for i in range(len(ref)):
        a = ref[i]
        b = by_caption[a['data_samples'].caption]
        assert torch.equal(a['inputs'], b['inputs'])
        torch.testing.assert_close(a['data_samples'].regions.bboxes, b['data_samples'].regions.bboxes)
        assert a['data_samples'].regions.caption == b['data_samples'].regions.caption
        assert torch.equal(a['data_samples'].masks.masks, b['data_samples'].masks.masks)


def test_workers_split_the_stream(toy):
    _, records, folder, tar_path = toy
    for url in (folder, tar_path):
        loader = torch.utils.data.DataLoader(UMGWebDataset(url, pipeline=PIPELINE, shuffle_buffer=3),
                                             batch_size=2, num_workers=2, collate_fn=pseudo_collate)
        seen = [s.caption for batch in loader for s in batch['data_samples']]
        assert sorted(seen) == sorted(r['captions'][0] for r in records), url


def test_record_mapping_aliases():
    rec = umg41m_record(dict(caption='a dog', tag='dog', objects=[dict(box=[1, 2, 3, 4], caption='head')],
                             segments=[dict(mask=[[0, 0, 4, 0, 4, 4]], tags=['grass'])]))
    assert rec['captions'] == ['a dog'] and rec['tags'] == ['dog'] and rec['height'] is None
    assert rec['regions'] == [dict(captions=['head'], tags=[], bbox=[1, 2, 3, 4])]
    assert rec['masks'][0]['segmentation'] == [[0, 0, 4, 0, 4, 4]] and rec['masks'][0]['tags'] == ['grass']


def test_missing_shards_are_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match='shards not found'):
        UMGWebDataset(str(tmp_path / 'shard-*.tar'))
