"""UMGMixtureDataset: sources drawn in their weighted shares each pass, the source and record of a sample fixed by
its stream position (so a resumed sampler draws the same samples, augmented alike), skips named by source."""
import json
import os.path as osp

import pytest
import torch

from umgclip_mm.datasets import ResumableInfiniteSampler, UMGDataset, UMGMixtureDataset
from umgclip_mm.datasets.toy_world import generate
from umgclip_mm.datasets.umg_mixture_dataset import largest_remainder

PIPELINE = [dict(type='umgclip_mm.LoadUMGImage'), dict(type='umgclip_mm.LoadUMGAnnotations'),
            dict(type='umgclip_mm.UMGRandomResizedCrop', size=32, scale=(0.5, 1.0)),
            dict(type='umgclip_mm.SampleCaptions'), dict(type='umgclip_mm.PackUMGInputs')]


@pytest.fixture(scope='module')
def toy(tmp_path_factory):
    """A toy world of 6 scenes, split into sources of 4, 2 and 6 (all) records; the 2-record source has a line
    that is not JSON and a record whose image is missing."""
    root = str(tmp_path_factory.mktemp('mix'))
    generate(root, num_train=6, num_val=0, size=32)
    lines = open(osp.join(root, 'umg', 'train.jsonl')).read().splitlines()
    open(osp.join(root, 'umg', 'a.jsonl'), 'w').write('\n'.join(lines[:4]) + '\n')
    missing = json.dumps(dict(json.loads(lines[4]), image='images/train/gone.png'))
    open(osp.join(root, 'umg', 'b.jsonl'), 'w').write('{broken\n' + missing + '\n' + '\n'.join(lines[4:]) + '\n')
    return root


def mixture(root, **kwargs):
    sources = [dict(type='umgclip_mm.UMGDataset', data_root=root, ann_files=f'umg/{f}', pipeline=PIPELINE)
               for f in ('a.jsonl', 'b.jsonl', 'train.jsonl')]
    return UMGMixtureDataset(sources, **dict(dict(weights=[1, 2, 1], names=['vg', 'refcoco', 'flickr'],
                                                  length=40), **kwargs))


def test_largest_remainder():
    assert largest_remainder(40, [1, 2, 1]) == [10, 20, 10]
    assert largest_remainder(10, [1, 1, 1]) == [4, 3, 3] and sum(largest_remainder(7, [0.3, 0.3, 0.4])) == 7


def test_each_pass_draws_every_source_in_its_share(toy):
    ds = mixture(toy)
    assert len(ds) == 40 and ds.shares == [10, 20, 10]
    sampler = ResumableInfiniteSampler(ds, shuffle=True, seed=3)
    assert sampler.sample_seeds  # the mixture takes per-sample seeds
    stream = iter(sampler)
    for _ in range(2):  # two passes: each exactly 10 / 20 / 10
        counts = {}
        for _ in range(40):
            index, seed = next(stream)
            name, _ = ds.record_of(index, seed)
            counts[name] = counts.get(name, 0) + 1
        assert counts == dict(vg=10, refcoco=20, flickr=10)
    # a source smaller than its share is repeated whole; a larger one is sampled from the seed
    assert [ds.record_of(i)[1] for i in range(10)] == [0, 1, 2, 3, 0, 1, 2, 3, 0, 1]
    small = mixture(toy, length=6, weights=[1, 1, 1])
    picks = {small.record_of(4, seed)[1] for seed in range(50)}  # flickr: 2 positions for 6 records
    assert picks == set(range(6))


def test_sample_depends_on_its_position_only(toy):
    """A resumed sampler (set_start) draws the very samples of the straight stream, augmented alike, whatever was
    drawn before; each packed sample names its source."""
    ds = mixture(toy)
    straight = ResumableInfiniteSampler(ds, shuffle=True, seed=7)
    pairs = [p for _, p in zip(range(12), iter(straight))]
    first = [ds[p] for p in pairs]
    resumed = ResumableInfiniteSampler(ds, shuffle=True, seed=7)
    resumed.set_start(8)
    again = [ds[p] for _, p in zip(range(4), iter(resumed))]
    for a, b in zip(first[8:], again):
        assert torch.equal(a['inputs'], b['inputs'])
        assert a['data_samples'].caption == b['data_samples'].caption
        assert a['data_samples'].metainfo['dataset'] == b['data_samples'].metainfo['dataset']
    names = [ds.record_of(*p)[0] for p in pairs]
    assert [s['data_samples'].metainfo['dataset'] for s in first] == names


def test_skips_name_their_source(toy, monkeypatch):
    from umgclip_mm.datasets import umg_dataset
    from umgclip_mm.datasets.transforms import load_umg_image
    logged = []
    for module in (umg_dataset, load_umg_image):
        monkeypatch.setattr(module, 'SKIPS', lambda reason, source, detail='': logged.append((reason, source)))
    ds = mixture(toy, length=6, weights=[1, 1, 1])
    refcoco = ds.datasets[1]
    assert ds.source_of_record('refcoco', 0) == 'refcoco/b.jsonl:1'
    seed = next(s for s in range(100) if ds.record_of(2, s) == ('refcoco', 0))
    assert ds[(2, seed)]['data_samples'].metainfo['dataset'] == 'refcoco'  # record 0 is not JSON: another drawn
    assert ('invalid record', 'refcoco/b.jsonl:1') in logged
    refcoco[(1, 5)]  # its image is missing
    assert ('image not found', 'refcoco/b.jsonl:2') in logged


def test_bad_arguments_are_named(toy):
    with pytest.raises(ValueError, match='weights'):
        mixture(toy, weights=[1, 2])
    with pytest.raises(ValueError, match=r"'vg' \(weight 0.001\) gets no position"):
        mixture(toy, weights=[0.001, 1, 1], length=10)
    with pytest.raises(ValueError, match='distinct'):
        mixture(toy, names=['a', 'a', 'b'])
    with pytest.raises(IndexError, match='out of range'):
        mixture(toy).locate(40)
    assert isinstance(mixture(toy).datasets[0], UMGDataset)


def test_streaming_mixture_by_repeated_shards(toy):
    """docs/data_format.md's streaming recipe: a source's tar shards listed twice are drawn twice as often, each
    pass, and its skips name the shard."""
    from conftest import run_tool
    from umgclip_mm.datasets import UMGWebDataset
    for name in ('a', 'b'):
        run_tool('tools/dataset_converters/umg2wds.py', osp.join(toy, 'umg', 'train.jsonl'),
                 osp.join(toy, 'wds', name), '--data-root', toy, '--shard-size', '3')
    urls = [osp.join(toy, 'wds', 'a-{000000..000001}.tar')] * 2 + [osp.join(toy, 'wds', 'b-{000000..000001}.tar')]
    ds = UMGWebDataset(urls, pipeline=PIPELINE, shuffle_buffer=4, seed=1)
    assert len(ds) == 18  # 6 scenes x 2 + 6
    passes = iter(ds), iter(ds)
    for stream in passes:
        sources = [s['data_samples'].metainfo['source'].split('-')[0] for s in stream]
        assert len(sources) == 18 and sources.count('a') == 12 and sources.count('b') == 6
