"""Saving and loading an FSDP model's state by parameter name (umgclip_mm.engine.fsdp_checkpoint), directly on gloo
CPU processes: after a round trip through either layout (one full file, or a sharded DCP directory) every weight,
both AdamW moments and the step of every parameter equal the saved ones, and the next steps log the same losses.
The model has the known ways a moment lands on the wrong parameter: a frozen parameter inside a unit, two
parameter groups (decay / no decay by name), use_orig_params (and a run without it), and shards of uneven size
(7-wide layers over 2 ranks). The sharded checkpoint also loads at another world size (2 -> 1, 1 -> 2)."""
import copy
import os
import os.path as osp
import socket

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch import nn


class Block(nn.Module):

    def __init__(self, dims):
        super().__init__()
        self.fc = nn.Linear(dims, dims)
        self.norm = nn.LayerNorm(dims)

    def forward(self, x):
        return self.norm(x + self.fc(x))


class Net(nn.Module):
    """Uneven sizes (7, 5, 1 elements), a frozen layer in the root unit, one FSDP unit per block."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Linear(3, 7)
        self.frozen = nn.Linear(7, 7)
        self.frozen.requires_grad_(False)
        self.blocks = nn.ModuleList([Block(7), Block(7)])
        self.scale = nn.Parameter(torch.ones(1))
        self.head = nn.Linear(7, 5)

    def forward(self, x):
        x = self.frozen(self.embed(x))
        for block in self.blocks:
            x = block(x)
        return self.head(x) * self.scale


def build(seed, use_orig_params=True):
    from torch.distributed.fsdp import FullyShardedDataParallel as FSDP
    from torch.distributed.fsdp.wrap import ModuleWrapPolicy
    torch.manual_seed(seed)
    net = Net()
    if not use_orig_params:
        net.frozen.requires_grad_(True)  # a flat parameter needs one requires_grad
    model = FSDP(net, device_id=torch.device('cpu'), auto_wrap_policy=ModuleWrapPolicy({Block}),
                 use_orig_params=use_orig_params)
    if not use_orig_params:
        return model, torch.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.1)
    no_decay = [p for n, p in model.named_parameters() if n.endswith(('bias', 'scale')) or 'norm' in n]
    decay = [p for n, p in model.named_parameters() if all(p is not q for q in no_decay)]
    return model, torch.optim.AdamW([dict(params=decay, weight_decay=0.1), dict(params=no_decay, weight_decay=0.0)],
                                    lr=1e-2)


def train(model, optimizer, steps):
    losses = []
    for step in steps:
        torch.manual_seed(1000 + 10 * step + dist.get_rank())
        loss = model(torch.randn(4, 3)).pow(2).mean()
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        losses.append(loss.item())
    return losses


def whole_state(model, optimizer):
    """Every weight and optimizer state by name, gathered on every rank."""
    from torch.distributed.checkpoint.state_dict import StateDictOptions, get_model_state_dict

    from umgclip_mm.engine.fsdp_checkpoint import full_optim_state_dict
    weights = get_model_state_dict(model, options=StateDictOptions(full_state_dict=True))
    optim = full_optim_state_dict(model, optimizer)  # on CPU gathered on every rank
    # copies: with one process FSDP runs NO_SHARD and hands out the live tensors
    return ({k: v.clone() for k, v in weights.items()},
            {f'{name}/{key}': value.clone() for name, state in optim['state'].items() for key, value in state.items()})


def differences(a, b):
    assert sorted(a) == sorted(b), (sorted(a), sorted(b))
    return sorted(k for k in a if not torch.equal(a[k], b[k]))


def _init(rank, world, port):
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    dist.init_process_group('gloo', rank=rank, world_size=world)


def _round_trips(rank, world, port, out):
    """Train 3 steps, save both layouts, load each into a model built from other weights, compare; keep the
    sharded checkpoint and the reference for the other world sizes."""
    from umgclip_mm.engine.fsdp_checkpoint import (full_model_state_dict, full_optim_state_dict,
                                                   load_full_model_state_dict, load_full_optim_state_dict,
                                                   load_sharded_model, load_sharded_optimizer,
                                                   save_sharded_checkpoint)
    _init(rank, world, port)
    result = {}
    for orig in (True, False):
        model, optimizer = build(0, orig)
        train(model, optimizer, range(3))
        ref_weights, ref_optim = whole_state(model, optimizer)
        path = osp.join(out, f'sharded_{world}_{orig}')
        save_sharded_checkpoint(path, model, optimizer, dict(meta=dict(iter=3)))
        files = [full_model_state_dict(model), full_optim_state_dict(model, optimizer)]  # on rank 0
        files = [copy.deepcopy(f) for f in files]  # as written to a file (one process: NO_SHARD's live tensors)
        dist.broadcast_object_list(files, 0)  # every rank reads the file, as a resume does
        full_weights, full_optim = files
        expected = train(model, optimizer, range(3, 5))
        for layout in ('full', 'sharded'):
            other, other_optim = build(1, orig)
            if layout == 'full':
                load_full_model_state_dict(other, full_weights)
                load_full_optim_state_dict(other, other_optim, full_optim)
            else:
                meta = load_sharded_model(path, other)
                assert meta['meta'] == dict(iter=3)
                load_sharded_optimizer(path, other, other_optim, meta['optimizer_param_groups'])
            weights, optim = whole_state(other, other_optim)
            groups = [(g['weight_decay'], len(g['params'])) for g in other_optim.param_groups]
            result[(layout, orig)] = dict(weights=differences(ref_weights, weights),
                                          optim=differences(ref_optim, optim), groups=groups,
                                          losses=(train(other, other_optim, range(3, 5)), expected))
        if rank == 0:
            torch.save(dict(weights=ref_weights, optim=ref_optim), osp.join(out, f'ref_{world}_{orig}.pt'))
    torch.save(result, osp.join(out, f'round_trips_{rank}.pt'))
    dist.destroy_process_group()


def _other_world(rank, world, port, out, saved_world):
    """Load the sharded checkpoint that ``saved_world`` processes wrote; compare with their reference."""
    from umgclip_mm.engine.fsdp_checkpoint import load_sharded_model, load_sharded_optimizer
    _init(rank, world, port)
    model, optimizer = build(1)
    meta = load_sharded_model(osp.join(out, f'sharded_{saved_world}_True'), model)
    load_sharded_optimizer(osp.join(out, f'sharded_{saved_world}_True'), model, optimizer,
                           meta['optimizer_param_groups'])
    weights, optim = whole_state(model, optimizer)
    ref = torch.load(osp.join(out, f'ref_{saved_world}_True.pt'), weights_only=True)
    torch.save(dict(weights=differences(ref['weights'], weights), optim=differences(ref['optim'], optim),
                    names=sorted(optim)), osp.join(out, f'other_{world}_{rank}.pt'))
    dist.destroy_process_group()


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


@pytest.fixture(scope='module')
def saved(tmp_path_factory):
    out = str(tmp_path_factory.mktemp('fsdp_state'))
    mp.spawn(_round_trips, args=(2, free_port(), out), nprocs=2, join=True)
    return out


@pytest.mark.parametrize('layout', ['full', 'sharded'])
@pytest.mark.parametrize('orig', [True, False], ids=['use_orig_params', 'flat_params'])
def test_round_trip_restores_every_moment_by_name(saved, layout, orig):
    for rank in range(2):
        got = torch.load(osp.join(saved, f'round_trips_{rank}.pt'), weights_only=True)[(layout, orig)]
        assert got['weights'] == [] and got['optim'] == [], got
        resumed, uninterrupted = got['losses']
        assert resumed == uninterrupted  # bitwise: the same update from the same state
        if orig:  # the two groups keep their decay and members (the frozen layer among them)
            assert got['groups'] == [(0.1, 5), (0.0, 10)], got['groups']


def test_the_moments_differ_so_the_comparison_can_fail(saved):
    """exp_avg and exp_avg_sq are different tensors (what torch's offloading gather on CPU mixed up)."""
    ref = torch.load(osp.join(saved, 'ref_2_True.pt'), weights_only=True)['optim']
    assert not torch.equal(ref['head.weight/exp_avg'], ref['head.weight/exp_avg_sq'])
    assert 'frozen.weight/exp_avg' not in ref  # a frozen parameter has no state, and gets none


@pytest.mark.slow
def test_sharded_checkpoint_loads_at_another_world_size(saved):
    """2 processes -> 1 and 1 -> 2: DCP reshards, every weight and moment lands on its parameter."""
    mp.spawn(_other_world, args=(1, free_port(), saved, 2), nprocs=1, join=True)
    got = torch.load(osp.join(saved, 'other_1_0.pt'), weights_only=True)
    assert got['weights'] == [] and got['optim'] == [] and 'blocks.1.fc.weight/exp_avg' in got['names']
    mp.spawn(_round_trips, args=(1, free_port(), saved), nprocs=1, join=True)  # writes sharded_1_True
    mp.spawn(_other_world, args=(2, free_port(), saved, 1), nprocs=2, join=True)
    for rank in range(2):
        got = torch.load(osp.join(saved, f'other_2_{rank}.pt'), weights_only=True)
        assert got['weights'] == [] and got['optim'] == [], got
