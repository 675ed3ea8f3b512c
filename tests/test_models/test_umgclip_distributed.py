"""UMGCLIP.loss across 2 processes (gloo) equals 1 process on the whole batch: all six terms and every gradient,
with ranks whose tags, regions and masks differ (the tag vocabulary is the union of the ranks')."""
import os
import socket
from datetime import timedelta

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from mmengine.structures import BaseDataElement, InstanceData

from umgclip_mm.models.losses.distributed import all_gather_strings
from umgclip_mm.registry import MODELS

# (batch, split): rank 0 takes ``BATCHES[batch]()[:split]``, rank 1 the rest. 'mixed', 2: each rank has tags the
# other lacks and rank 1 has no mask items; 1: rank 1 has every tag but 'red'; 3: rank 1 holds one image with neither
# regions nor masks, and a tag ('grass') no other sample has. 'bare', 1: rank 0 has no caption, no tag and no share
# of the one-tag vocabulary (nothing to encode), yet takes part in the gathers.
CASES = (('mixed', 2), ('mixed', 1), ('mixed', 3), ('bare', 1))


def samples():
    """Four images whose tags differ between any two contiguous halves; only the first two carry masks."""
    m = torch.zeros(2, 32, 32, dtype=torch.bool)
    m[0, :16] = True
    m[1, 16:, 8:20] = True
    return [
        BaseDataElement(caption='a red square', tags=['red', 'square'],
                        regions=InstanceData(bboxes=torch.tensor([[0., 0., 16., 16.], [8., 8., 30., 24.]]),
                                             caption=['a red square', ''], tags=[['red', 'square'], ['square']]),
                        masks=InstanceData(masks=m, caption=['the sky', ''], tags=[['sky'], ['red']])),
        BaseDataElement(caption='the sea', tags=['sea'],
                        masks=InstanceData(masks=m[1:].clone(), caption=['the sea'], tags=[['sea', 'water']])),
        BaseDataElement(caption='a green star', tags=['star', 'green', 'square'],
                        regions=InstanceData(bboxes=torch.tensor([[4., 4., 28., 20.]]), caption=['a green star'],
                                             tags=[['star', 'green']]),
                        masks=InstanceData(masks=torch.zeros(0, 32, 32, dtype=torch.bool), caption=[], tags=[])),
        BaseDataElement(caption='', tags=['grass', 'sky']),
    ]


def bare_samples():
    """Three images: the first without caption or tags, then two captions and one tag."""
    return [BaseDataElement(caption='', tags=[]), BaseDataElement(caption='a cat', tags=['sky']),
            BaseDataElement(caption='a dog')]


BATCHES = dict(mixed=samples, bare=bare_samples)


def _loss_and_grads(model, x, data):
    """Every ``loss_*`` term and the gradient of their sum with respect to every parameter (zeros if unused)."""
    model.zero_grad(set_to_none=True)
    losses = {k: v for k, v in model.loss(x, data).items() if k.startswith('loss')}
    sum(losses.values()).backward()
    grads = {n: torch.zeros_like(p) if p.grad is None else p.grad.clone() for n, p in model.named_parameters()}
    return {k: v.detach() for k, v in losses.items()}, grads


def _worker(rank, world, port, folder, model_cfg):
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    torch.set_num_threads(1)
    dist.init_process_group('gloo', rank=rank, world_size=world, timeout=timedelta(seconds=60))  # a hang fails
    model = MODELS.build(model_cfg).eval()  # as in the reference: nothing random in the forward
    model.load_state_dict(torch.load(os.path.join(folder, 'model.pth')))
    x = torch.load(os.path.join(folder, 'x.pth'))
    results = {}
    for batch, split in CASES:
        data = BATCHES[batch]()
        sl = slice(0, split) if rank == 0 else slice(split, len(data))
        losses, grads = _loss_and_grads(model, x[sl], data[sl])
        # DDP averages gradients over ranks; do the same by hand. The logged loss is averaged the same way.
        for t in (*losses.values(), *grads.values()):
            dist.all_reduce(t)
            t /= world
        results[batch, split] = dict(losses=losses, grads=grads)
    # the vocabulary gather on its own: order, duplicates within and across ranks, any character, an empty string
    mine = [['b', 'a\u00e4\0x', 'b', 'a'], ['a', 'c', '', 'b']][rank]
    results['strings'] = all_gather_strings(mine, torch.device('cpu'))
    results['no strings'] = all_gather_strings([], torch.device('cpu'))
    torch.save(results, os.path.join(folder, f'rank{rank}.pt'))
    dist.destroy_process_group()


def test_two_processes_equal_one_process(tmp_path, tiny_model_cfg):
    torch.manual_seed(0)
    model = MODELS.build(tiny_model_cfg).eval()
    x = torch.randn(4, 3, 32, 32)
    torch.save(model.state_dict(), tmp_path / 'model.pth')
    torch.save(x, tmp_path / 'x.pth')
    expected = {batch: _loss_and_grads(model, x[:len(make())], make()) for batch, make in BATCHES.items()}
    assert len(expected['mixed'][0]) == 6 and all(float(v) > 0 for v in expected['mixed'][0].values())  # all used
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    mp.spawn(_worker, args=(2, port, str(tmp_path), tiny_model_cfg), nprocs=2, join=True)
    for rank in range(2):
        got = torch.load(tmp_path / f'rank{rank}.pt')
        assert got['strings'] == ['b', 'a\u00e4\0x', 'a', 'c', ''] and got['no strings'] == []
        for case in CASES:
            losses, grads = expected[case[0]]
            assert set(got[case]['losses']) == set(losses)
            for name, value in losses.items():
                torch.testing.assert_close(got[case]['losses'][name], value, rtol=1e-5, atol=1e-6,
                                           msg=lambda m: f'rank {rank}, {case}, {name}: {m}')
            for name, grad in grads.items():
                # Relative to the parameter's gradient norm: summation order differs between 1 and 2 processes, so
                # elements much smaller than the rest (near-cancelling sums) carry relatively larger rounding.
                diff = float((got[case]['grads'][name] - grad).norm())
                assert diff <= 1e-5 * float(grad.norm()) + 1e-9, f'rank {rank}, {case}, gradient of {name}: ' \
                    f'|difference| {diff:.3g}, |gradient| {float(grad.norm()):.3g}'
    assert float(torch.cat([g.flatten() for g in expected['bare'][1].values()]).norm()) > 0  # it trains something
