"""ContrastiveLoss against a direct computation, and across 2 processes (gloo) against 1 process."""
import os
import socket

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn.functional as F

from umgclip_mm.models import ContrastiveLoss


def direct_infonce(a, b, scale):
    """Textbook symmetric InfoNCE, written independently with explicit log-softmax sums."""
    logits = scale * a @ b.t()
    n = a.shape[0]
    i2t = -torch.stack([logits[i, i] - torch.logsumexp(logits[i], 0) for i in range(n)]).mean()
    t2i = -torch.stack([logits[i, i] - torch.logsumexp(logits[:, i], 0) for i in range(n)]).mean()
    return (i2t + t2i) / 2


def test_matches_direct_computation():
    torch.manual_seed(0)
    a, b = F.normalize(torch.randn(6, 8), dim=-1), F.normalize(torch.randn(6, 8), dim=-1)
    loss = ContrastiveLoss(loss_weight=2.0)(a, b, torch.tensor(10.0))
    torch.testing.assert_close(loss, 2.0 * direct_infonce(a, b, 10.0))


def test_perfect_alignment_gives_low_loss():
    a = torch.eye(4)
    assert ContrastiveLoss()(a, a, torch.tensor(100.0)) < 1e-6


def test_shape_mismatch_error():
    with pytest.raises(ValueError, match='same shape'):
        ContrastiveLoss()(torch.zeros(2, 4), torch.zeros(3, 4), torch.tensor(1.0))


def _setup():
    torch.manual_seed(0)
    linear = torch.nn.Linear(8, 8)
    x, y = torch.randn(8, 8), torch.randn(8, 8)
    return linear, x, y


def _loss(linear, x, y):
    return ContrastiveLoss()(F.normalize(linear(x), dim=-1), F.normalize(linear(y), dim=-1), torch.tensor(5.0))


def _worker(rank, world, port, out_dir):
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    dist.init_process_group('gloo', rank=rank, world_size=world)
    linear, x, y = _setup()
    half = x.shape[0] // world
    sl = slice(rank * half, (rank + 1) * half)
    loss = _loss(linear, x[sl], y[sl])
    loss.backward()
    # DDP averages gradients over ranks; do the same by hand.
    for p in linear.parameters():
        dist.all_reduce(p.grad)
        p.grad /= world
    dist.all_reduce(loss)
    torch.save(dict(loss=loss / world, grad=linear.weight.grad), os.path.join(out_dir, f'rank{rank}.pt'))
    dist.destroy_process_group()


def test_two_processes_equal_one_process(tmp_path):
    linear, x, y = _setup()
    loss = _loss(linear, x, y)
    loss.backward()
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    mp.spawn(_worker, args=(2, port, str(tmp_path)), nprocs=2, join=True)
    for rank in range(2):
        got = torch.load(tmp_path / f'rank{rank}.pt')
        torch.testing.assert_close(got['loss'], loss.detach(), rtol=1e-5, atol=1e-6)
        torch.testing.assert_close(got['grad'], linear.weight.grad, rtol=1e-5, atol=1e-6)
