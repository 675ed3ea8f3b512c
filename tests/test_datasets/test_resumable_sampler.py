"""ResumableInfiniteSampler: a start position reached without drawing the stream before it, mmengine's rank split and
first pass, per-sample seeds; UMGDataset's augmentation follows a sample's seed alone."""
import itertools

import numpy as np
import pytest
import torch
from mmengine.dataset import InfiniteSampler

from umgclip_mm.datasets import ResumableInfiniteSampler, UMGDataset
from umgclip_mm.datasets.samplers import sample_seed
from umgclip_mm.registry import DATA_SAMPLERS

from test_datasets.test_umg_dataset import record, write_image, write_shard


class Seeded(list):
    """A list that says it takes (index, seed) pairs, as UMGDataset does."""
    accepts_sample_seeds = True


def take(sampler, n):
    return list(itertools.islice(iter(sampler), n))


def as_rank(sampler, rank, world_size):
    sampler.rank, sampler.world_size = rank, world_size
    return sampler


def test_a_start_position_gives_the_rest_of_the_stream():
    """From any position (inside a pass, on a pass boundary, passes later) the stream goes on as from the start:
    the same indices and the same seeds; every pass is a permutation and passes differ."""
    data = Seeded(range(7))
    full = take(ResumableInfiniteSampler(data, seed=3), 60)
    for start in (1, 7, 11, 40):
        sampler = ResumableInfiniteSampler(data, seed=3)
        sampler.set_start(start)
        assert take(sampler, 60 - start) == full[start:]
    passes = [[i for i, _ in full[k:k + 7]] for k in range(0, 56, 7)]
    assert all(sorted(p) == list(range(7)) for p in passes)
    assert len({tuple(p) for p in passes}) > 1
    assert [s for _, s in full] == [sample_seed(3, p) for p in range(60)]
    assert len({s for _, s in full}) == 60


def test_the_start_costs_one_permutation_not_the_samples_before_it(monkeypatch):
    """Starting 10 passes in computes the permutation of that pass only."""
    sampler = ResumableInfiniteSampler(Seeded(range(50)), seed=0)
    calls = []
    real = torch.randperm
    monkeypatch.setattr(torch, 'randperm', lambda *a, **k: calls.append(a) or real(*a, **k))
    sampler.set_start(10 * 50 + 3)
    take(sampler, 5)
    assert len(calls) == 1


def test_first_pass_and_rank_split_are_mmengines():
    """Plain indices for a data set that takes no seeds; the first pass is InfiniteSampler's; the ranks share the
    global stream as InfiniteSampler splits it (rank r takes r, r + w, ...), and each rank resumes on its own."""
    data = list(range(10))
    ours = ResumableInfiniteSampler(data, seed=5)
    assert not ours.sample_seeds
    assert take(ours, 10) == take(InfiniteSampler(data, seed=5), 10)
    stream = take(ResumableInfiniteSampler(data, seed=5), 36)
    for rank in range(3):
        mine = take(as_rank(ResumableInfiniteSampler(data, seed=5), rank, 3), 12)
        assert mine == stream[rank::3]
        later = as_rank(ResumableInfiniteSampler(data, seed=5), rank, 3)
        later.set_start(5)
        assert take(later, 7) == mine[5:]


def test_seeds_depend_on_the_global_position_across_ranks():
    data = Seeded(range(8))
    stream = take(ResumableInfiniteSampler(data, seed=1), 16)
    ranks = [take(as_rank(ResumableInfiniteSampler(data, seed=1), r, 2), 8) for r in range(2)]
    assert ranks[0] == stream[0::2] and ranks[1] == stream[1::2]
    assert take(ResumableInfiniteSampler(data, seed=2), 4) != stream[:4]


def test_no_shuffle_and_bad_start():
    sampler = ResumableInfiniteSampler(list(range(4)), shuffle=False, seed=0)
    sampler.set_start(3)
    assert take(sampler, 6) == [3, 0, 1, 2, 3, 0]
    with pytest.raises(ValueError, match='num_drawn must be >= 0'):
        sampler.set_start(-1)


def test_registered_and_built_with_seeds_for_umg_dataset(tmp_path):
    write_image(str(tmp_path), 'a.png')
    write_shard(tmp_path / 's.jsonl', [record('a.png')] * 3)
    ds = UMGDataset('s.jsonl', data_root=str(tmp_path))
    sampler = DATA_SAMPLERS.build(dict(type='umgclip_mm.ResumableInfiniteSampler', dataset=ds, seed=0))
    assert sampler.sample_seeds and all(isinstance(x, tuple) for x in take(sampler, 4))


def test_umg_dataset_augmentation_follows_the_sample_seed_alone(tmp_path):
    """The same (index, seed) crops and captions alike whatever was drawn before; another seed differs; the main
    process's generator is left as it was (no data loader workers)."""
    write_image(str(tmp_path), 'a.png', h=80, w=120)
    write_shard(tmp_path / 's.jsonl', [record('a.png', h=80, w=120, captions=[f'c{i}' for i in range(8)])] * 2)
    pipeline = [dict(type='umgclip_mm.LoadUMGImage'), dict(type='umgclip_mm.LoadUMGAnnotations'),
                dict(type='umgclip_mm.UMGRandomResizedCrop', size=24, scale=(0.1, 1.0)),
                dict(type='umgclip_mm.SampleCaptions'), dict(type='umgclip_mm.PackUMGInputs')]
    ds = UMGDataset('s.jsonl', data_root=str(tmp_path), pipeline=pipeline)

    def draw(seed):
        out = ds[(1, seed)]
        return out['data_samples'].caption, out['data_samples'].regions.bboxes, out['inputs']

    first = draw(1234)
    np.random.seed(99)
    np.random.rand(17)
    state = np.random.get_state()
    again = draw(1234)
    after = np.random.get_state()
    assert first[0] == again[0] and torch.equal(first[1], again[1]) and torch.equal(first[2], again[2])
    assert after[1].tolist() == state[1].tolist() and after[2] == state[2]
    others = [draw(s) for s in range(1, 6)]
    assert any(o[0] != first[0] or not torch.equal(o[1], first[1]) for o in others)
