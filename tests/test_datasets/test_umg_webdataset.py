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


def keys(batches):
    """The ``shard:key`` of every sample of a list of batches, batch by batch."""
    return [[s.metainfo['source'] for s in b['data_samples']] for b in batches]


def loader(ds, batch_size=2, num_workers=2):
    return torch.utils.data.DataLoader(ds, batch_size=batch_size, num_workers=num_workers, collate_fn=pseudo_collate,
                                       persistent_workers=num_workers > 0)


def test_a_pass_is_len_samples_over_the_workers(toy):
    """One tar, two workers: they share it (every other sample); each pass is ``len`` samples, the next pass goes
    on with the stream (persistent workers); the folder's broken pair counts in ``len`` but is skipped, so its
    worker goes round again."""
    _, records, folder, tar_path = toy
    every = sorted(r['captions'][0] for r in records)
    ds = UMGWebDataset(tar_path, pipeline=PIPELINE, shuffle_buffer=3)
    assert len(ds) == len(records)
    dl = loader(ds)
    for _ in range(2):  # each pass is exactly one round over the data
        seen = [s.caption for batch in dl for s in batch['data_samples']]
        assert sorted(seen) == every
    ds = UMGWebDataset(folder, pipeline=PIPELINE, shuffle_buffer=3)
    assert len(ds) == len(records) + 1  # the files: the broken one counts
    seen = [s.caption for batch in loader(ds) for s in batch['data_samples']]
    assert len(seen) == len(ds) and set(seen) == set(every)


def shards(root, records, sizes):
    """Tars of ``sizes`` samples each from the toy records; returns their paths."""
    paths, n = [], 0
    for i, size in enumerate(sizes):
        paths.append(osp.join(root, f'part-{i:03d}.tar'))
        with tarfile.open(paths[-1], 'w') as tar:
            for rec in records[n:n + size]:
                for ext, data in (('json', json.dumps(rec).encode()), ('png', open(osp.join(root, rec['image']),
                                                                                    'rb').read())):
                    info = tarfile.TarInfo(f'{n:04d}.{ext}')
                    info.size = len(data)
                    tar.addfile(info, io.BytesIO(data))
                n += 1
    return paths


@pytest.mark.parametrize('world', [1, 2])
def test_every_rank_gets_the_same_batches_per_pass(toy, tmp_path, monkeypatch, world):
    """Shards of 3, 2 and 1 samples over ``world`` ranks x 2 workers (more workers than shards for 2 ranks): each
    rank's pass is ``len(dataloader)`` full batches, pass after pass, and the ranks' first passes together cover
    every sample."""
    root, records, _, _ = toy
    paths = shards(root, records, [3, 2, 1])
    per_rank = []
    for rank in range(world):
        monkeypatch.setattr('umgclip_mm.datasets.umg_webdataset.get_dist_info', lambda r=rank: (r, world))
        ds = UMGWebDataset(paths, pipeline=PIPELINE, shuffle_buffer=2, batch_size=2)
        assert ds.num_samples == 6 and len(ds) == 6 // world // 2 * 2
        dl = loader(ds)
        passes = [keys(dl) for _ in range(3)]
        assert [len(p) for p in passes] == [len(dl)] * 3 and all(len(b) == 2 for p in passes for b in p)
        per_rank.append(passes[0])
    first = [k for p in per_rank for b in p for k in b]
    assert len(set(first)) == len(first) == 6 // world // 2 * 2 * world  # no sample twice within a pass


def test_more_workers_than_samples_is_a_clear_error(toy, tmp_path, monkeypatch):
    """One sample for two ranks: rank 1's stream has nothing (with workers, the worker re-raises in the loader)."""
    root, records, _, _ = toy
    one = shards(str(tmp_path), [dict(r, image=osp.join(root, r['image'])) for r in records[:1]], [1])
    monkeypatch.setattr('umgclip_mm.datasets.umg_webdataset.get_dist_info', lambda: (1, 2))
    with pytest.raises(RuntimeError, match=r'worker 1 of 2 .*found no sample.*--shard-size.*num_workers'):
        list(loader(UMGWebDataset(one, pipeline=PIPELINE, num_samples=4), num_workers=0))
    with pytest.raises(ValueError, match='3 samples per pass over 2 rank.* batches of 2'):
        UMGWebDataset(one, pipeline=PIPELINE, num_samples=3, batch_size=2)


RANDOM_PIPELINE = [dict(type='umgclip_mm.LoadUMGImage'), dict(type='umgclip_mm.LoadUMGAnnotations'),
                   dict(type='umgclip_mm.UMGRandomResizedCrop', size=32), dict(type='umgclip_mm.SampleCaptions'),
                   dict(type='umgclip_mm.PackUMGInputs')]


def content(batches):
    """Each batch as (sources, sampled captions, image bytes): what a resumed run must reproduce."""
    return [([s.metainfo['source'] for s in b['data_samples']], [s.caption for s in b['data_samples']],
             b'\0'.join(x.numpy().tobytes() for x in b['inputs'])) for b in batches]


@pytest.mark.parametrize('num_workers', [0, 2])
def test_skip_resumes_the_same_batches_without_decoding(toy, num_workers):
    """``skip(k * batch_size)`` then a new iterator gives batches k, k+1, ... of an uninterrupted run, augmented
    alike (random crops, flips and captions; a shuffled stream; unequal worker shares and partial batches: 9
    samples per pass, 3 + 2 batches of 2 with 2 workers), whether the loader's persistent workers started before
    ``skip`` (as in a runner) or after, reading the skipped samples' headers only."""
    root, records, _, _ = toy
    paths = shards(root, records, [3, 2, 1])
    make = lambda: UMGWebDataset(paths, pipeline=RANDOM_PIPELINE, shuffle_buffer=3, num_samples=9)  # noqa: E731
    dl = loader(make(), num_workers=num_workers)
    full = [b for _ in range(4) for b in content(dl)]
    per_pass = len(dl) if num_workers == 0 else 5
    assert len(full) == 4 * per_pass
    for i, k in enumerate((1, 3, 4, 6, 11)):
        ds = make()
        dl = loader(ds, num_workers=num_workers)
        if i % 2:
            it = iter(dl)  # persistent workers started, prefetching from the beginning (both begun their pass)
            next(it), next(it)
        ds.skip(2 * k, batch_size=2)
        resumed = [b for _ in range(2) for b in content(dl)]
        assert resumed == full[k:k + len(resumed)], k
        assert len(resumed) == 2 * per_pass - k % per_pass  # the pass in progress ends where it ended
    ds = make()
    calls = []
    pipeline = ds.pipeline
    ds.pipeline = lambda rec: calls.append(rec['source']) or pipeline(rec)
    ds.skip(14, 2)
    first = next(iter(loader(ds, num_workers=0)))
    assert len(calls) == 2 and keys([first]) == [calls]  # nothing decoded for the 14 skipped samples
    with pytest.raises(ValueError, match='whole batches'):
        ds.skip(3, 2)
    with pytest.raises(ValueError, match='batch size'):
        ds.skip(4)


def test_epoch_length_given_indexed_counted_or_estimated(toy, tmp_path):
    root, records, _, _ = toy
    paths = shards(root, records, [3, 2, 1])
    assert UMGWebDataset(paths).num_samples == 6  # counted in the headers
    assert UMGWebDataset(paths, count_shards=2).num_samples == round((3 + 1) / 2 * 3)  # first and last counted
    assert UMGWebDataset(paths, num_samples=100).num_samples == 100
    index = tmp_path / 'index.json'
    index.write_text(json.dumps(dict(shardlist=[dict(url=p, nsamples=10) for p in paths])))
    ds = UMGWebDataset(shard_index=str(index))
    assert ds.num_samples == 30 and ds.units == paths
    with pytest.raises(ValueError, match='shard_index lists no count'):
        UMGWebDataset(paths + [tar_copy(paths[0], str(tmp_path / 'extra.tar'))], shard_index=str(index))
    with pytest.raises(ValueError, match='num_samples='):
        UMGWebDataset('https://example.com/shard-{000..009}.tar')


def tar_copy(src, dst, keep=None):
    data = open(src, 'rb').read()
    open(dst, 'wb').write(data if keep is None else data[:keep])
    return dst


def test_truncated_tar_goes_to_the_mmengine_log_with_its_name(toy, tmp_path):
    """A shard cut inside its third image, or inside that image's header: the first two samples are read, the cut
    is logged in the run's log file, naming the shard (and the member when its header was read)."""
    from mmengine.logging import MMLogger
    root, records, _, _ = toy
    full = shards(root, records, [3])[0]
    png = [m for m in tarfile.open(full)][5]
    assert png.name == '0002.png'
    log_file = str(tmp_path / 'run.log')
    MMLogger.get_instance('test_truncated_tar', log_file=log_file)
    for name, keep, what in (('in-data.tar', png.offset_data + 100, 'member 0002.png ends at byte'),
                             ('in-header.tar', png.offset + 300, 'within or right after the member header')):
        cut = tar_copy(full, str(tmp_path / name), keep=keep)
        samples = list(UMGWebDataset(cut, pipeline=PIPELINE, test_mode=True))
        assert [s['data_samples'].metainfo['source'] for s in samples] == [f'{name}:0000', f'{name}:0001']
        lines = [line for line in open(log_file) if 'broken tar' in line and name in line]
        assert len(lines) == 2 and what in lines[0], lines  # once counting, once reading


def test_record_mapping_aliases():
    rec = umg41m_record(dict(caption='a dog', tag='dog', objects=[dict(box=[1, 2, 3, 4], caption='head')],
                             segments=[dict(mask=[[0, 0, 4, 0, 4, 4]], tags=['grass'])]))
    assert rec['captions'] == ['a dog'] and rec['tags'] == ['dog'] and rec['height'] is None
    assert rec['regions'] == [dict(captions=['head'], tags=[], bbox=[1, 2, 3, 4])]
    assert rec['masks'][0]['segmentation'] == [[0, 0, 4, 0, 4, 4]] and rec['masks'][0]['tags'] == ['grass']


def test_missing_shards_are_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match='shards not found'):
        UMGWebDataset(str(tmp_path / 'shard-*.tar'))
    with pytest.raises(FileNotFoundError, match='umg2wds.py'):
        UMGWebDataset(str(tmp_path / 'shard-{000..003}.tar'))
