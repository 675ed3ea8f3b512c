"""Resume: FastResumeIterBasedTrainLoop positions the data instead of loading the batches already trained (a tiny
runner, in this process), and falls back to mmengine's way for samplers that cannot; tools/train.py on the toy world
continues with the uninterrupted run's very losses, with data loader workers, and resumes from the checkpoint before
a truncated latest one."""
import glob
import os.path as osp
import shutil

import numpy as np
import pytest
import torch
from mmengine.model import BaseModel
from mmengine.runner import Runner
from torch import nn
from torch.utils.data import Dataset, IterableDataset

import umgclip_mm.datasets  # noqa: F401  (registers the sampler, as building UMGDataset by name does)
from umgclip_mm.engine import FastResumeIterBasedTrainLoop

from conftest import run_tool
from test_tools.test_train import CFG, scalars, small_run

BATCH = 2


class CountingData(Dataset):
    """Ten samples whose values depend on the index and the sample's seed; counts the samples loaded (by the copy
    that the runner builds its data loader with)."""
    accepts_sample_seeds = True

    def __init__(self):
        self.loaded = 0

    def __len__(self):
        return 10

    def __getitem__(self, index):
        self.loaded += 1
        index, seed = index if isinstance(index, tuple) else (index, None)
        noise = np.random.RandomState(seed).rand() if seed is not None else np.random.rand()
        return dict(inputs=torch.tensor([float(index), noise, 1.0]))


class Recorder(BaseModel):
    """A linear model (the same initial weights every time) that records every batch it trains on."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 1)
        nn.init.constant_(self.fc.weight, 0.5)
        nn.init.zeros_(self.fc.bias)
        self.batches = []

    def forward(self, inputs, data_samples=None, mode='loss'):
        self.batches.append(inputs.clone())
        return dict(loss=(self.fc(inputs) ** 2).mean())


def tiny_runner(work_dir, name, data, max_iters, sampler='umgclip_mm.ResumableInfiniteSampler', resume=False):
    return Runner(
        model=Recorder(), work_dir=str(work_dir), experiment_name=name, default_scope='umgclip_mm',
        train_dataloader=dict(dataset=data, sampler=dict(type=sampler, shuffle=True), batch_size=BATCH,
                              num_workers=0, collate_fn=dict(type='default_collate')),
        train_cfg=dict(type='umgclip_mm.FastResumeIterBasedTrainLoop', max_iters=max_iters),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=3, by_epoch=False)),
        log_processor=dict(by_epoch=False),
        randomness=dict(seed=0), resume=resume)


def test_resume_positions_the_sampler_without_loading_the_trained_batches(tmp_path, capfd):
    whole = tiny_runner(tmp_path / 'whole', 'whole', CountingData(), 6)
    whole.train()
    assert isinstance(whole.train_loop, FastResumeIterBasedTrainLoop)
    cut = tmp_path / 'cut'
    tiny_runner(cut, 'first', CountingData(), 3).train()
    resumed = tiny_runner(cut, 'resumed', CountingData(), 6, resume=True)
    resumed.train()
    assert resumed.train_dataloader.dataset.loaded == 3 * BATCH  # only the new iterations' samples were loaded
    assert len(resumed.model.batches) == 3
    for new, old in zip(resumed.model.batches, whole.model.batches[3:]):
        assert torch.equal(new, old)
    assert torch.equal(resumed.model.fc.weight, whole.model.fc.weight)
    assert 'ResumableInfiniteSampler starts after the 6 samples this rank has trained on' in ''.join(capfd.readouterr())


def test_a_sampler_that_cannot_start_anywhere_falls_back_to_loading(tmp_path, capfd):
    """mmengine's InfiniteSampler: the trained batches are loaded and dropped, as mmengine's own loop does, and
    the log says why."""
    tiny_runner(tmp_path, 'first', CountingData(), 3, sampler='InfiniteSampler').train()
    resumed = tiny_runner(tmp_path, 'resumed', CountingData(), 4, sampler='InfiniteSampler', resume=True)
    resumed.train()
    assert resumed.train_dataloader.dataset.loaded == 4 * BATCH
    out = ''.join(capfd.readouterr())
    assert 'its sampler (InfiniteSampler) cannot start at a position' in out and 'ResumableInfiniteSampler' in out


class Stream(IterableDataset):
    """A stream with UMGWebDataset's skip method (the hook point's contract)."""

    def __init__(self):
        self.skipped = []
        self.loaded = 0

    def __len__(self):  # mmengine's logger asks
        return 1000

    def skip(self, num_samples, batch_size):
        self.skipped.append(num_samples)
        self.batch_size = batch_size

    def __iter__(self):
        start = sum(self.skipped)
        for i in range(start, start + 1000):
            self.loaded += 1
            yield dict(inputs=torch.tensor([float(i), 0.0, 1.0]))


def test_a_streaming_data_set_is_told_how_many_samples_to_skip(tmp_path):
    runner = Runner(
        model=Recorder(), work_dir=str(tmp_path), experiment_name='first', default_scope='umgclip_mm',
        train_dataloader=dict(dataset=Stream(), sampler=None, batch_size=BATCH, num_workers=0,
                              collate_fn=dict(type='default_collate')),
        train_cfg=dict(type='umgclip_mm.FastResumeIterBasedTrainLoop', max_iters=3),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=3, by_epoch=False)),
        log_processor=dict(by_epoch=False))
    runner.train()
    resumed = Runner(
        model=Recorder(), work_dir=str(tmp_path), experiment_name='resumed', default_scope='umgclip_mm',
        train_dataloader=dict(dataset=Stream(), sampler=None, batch_size=BATCH, num_workers=0,
                              collate_fn=dict(type='default_collate')),
        train_cfg=dict(type='umgclip_mm.FastResumeIterBasedTrainLoop', max_iters=4),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)), log_processor=dict(by_epoch=False), resume=True)
    resumed.train()
    stream = resumed.train_dataloader.dataset
    assert stream.skipped == [3 * BATCH] and stream.batch_size == BATCH and stream.loaded == BATCH
    assert resumed.model.batches[0][:, 0].tolist() == [6.0, 7.0]


def losses(work_dir):
    """Every logged loss term by iteration."""
    return {r['iter']: {k: v for k, v in r.items() if k.startswith('loss')} for r in scalars(work_dir)}


@pytest.mark.slow
def test_train_resume_gives_the_uninterrupted_losses_and_survives_a_truncated_checkpoint(tmp_path):
    """tools/train.py on the toy world (about 4 minutes on a busy 2-core machine): 4 iterations without workers; 2
    with two persistent workers, then --resume to 4: every loss term of iterations 3 and 4 equals the uninterrupted
    run's, bit for bit, and the sampler was positioned instead of the trained batches loaded again. Then the latest
    checkpoint (iter_4.pth) is cut in half: --resume warns, naming it and iter_2.pth, resumes from iteration 2 and
    again logs the uninterrupted losses."""
    root = str(tmp_path / 'syn')
    run_tool('tools/dataset_converters/make_synthetic.py', root, '--num-train', '16', '--num-val', '4', '--size',
             '64')
    opts = small_run(root, 'val_cfg=None', 'val_dataloader=None', 'val_evaluator=None',
                     'default_hooks.checkpoint.interval=2')
    workers = ['train_dataloader.num_workers=2', 'train_dataloader.persistent_workers=True']
    whole, cut = str(tmp_path / 'whole'), str(tmp_path / 'cut')
    run_tool('tools/train.py', CFG, '--work-dir', whole, *opts, 'train_cfg.max_iters=4')
    run_tool('tools/train.py', CFG, '--work-dir', cut, *opts, *workers, 'train_cfg.max_iters=2')
    out = run_tool('tools/train.py', CFG, '--work-dir', cut, '--resume', *opts, *workers, 'train_cfg.max_iters=4')
    log = out.stdout + out.stderr
    assert 'starts after the 8 samples this rank has trained on' in log and 'Advance dataloader' not in log
    expected = losses(whole)
    assert sorted(expected) == [1, 2, 3, 4] and len(expected[4]) == 7  # the total and the six terms
    assert losses(cut) == expected

    latest = osp.join(cut, 'iter_4.pth')
    with open(latest, 'rb') as f:
        head = f.read(osp.getsize(latest) // 2)
    with open(latest, 'wb') as f:
        f.write(head)
    for old in glob.glob(osp.join(cut, '2*')):  # the earlier runs' logs, so that only the new one is read
        shutil.rmtree(old)
    out = run_tool('tools/train.py', CFG, '--work-dir', cut, '--resume', *opts, *workers, 'train_cfg.max_iters=4')
    log = out.stdout + out.stderr
    assert f'the latest checkpoint {latest} is truncated' in log
    assert f'resuming from the previous one, {osp.join(cut, "iter_2.pth")}' in log
    assert 'resumed epoch: 0, iter: 2' in log
    assert losses(cut) == {i: expected[i] for i in (3, 4)}
