"""ContrastiveLoss against a direct computation, and across 2 processes (gloo) against 1 process."""
import os
import socket

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn.functional as F

from umgclip_mm.models import ContrastiveLoss, MultiLabelTagLoss


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


def direct_multi_label(e, targets, tags, scale):
    """Per row: minus the mean log-probability of its positive tags under a softmax over all tags."""
    rows = []
    for i in range(e.shape[0]):
        pos = torch.nonzero(targets[i]).flatten()
        if len(pos) == 0:
            continue
        logp = torch.log_softmax(scale * e[i] @ tags.t(), 0)
        rows.append(-logp[pos].mean())
    return torch.stack(rows).mean()


def test_multi_label_tag_loss_matches_direct_computation():
    torch.manual_seed(1)
    e, t = F.normalize(torch.randn(5, 8), dim=-1), F.normalize(torch.randn(7, 8), dim=-1)
    targets = (torch.rand(5, 7) > 0.5).float()
    targets[2] = 0
    got = MultiLabelTagLoss(loss_weight=0.5)(e, targets, t, torch.tensor(12.0))
    torch.testing.assert_close(got, 0.5 * direct_multi_label(e, targets, t, 12.0))
    assert MultiLabelTagLoss()(e, torch.zeros(5, 7), t, torch.tensor(1.0)) == 0


def test_empty_inputs_give_zero_with_a_graph():
    a = torch.zeros(0, 4, requires_grad=True)
    loss = ContrastiveLoss()(a, a, torch.tensor(1.0))
    assert loss == 0 and loss.requires_grad


def test_shape_mismatch_error():
    with pytest.raises(ValueError, match='same shape'):
        ContrastiveLoss()(torch.zeros(2, 4), torch.zeros(3, 4), torch.tensor(1.0))


def _setup():
    torch.manual_seed(0)
    linear = torch.nn.Linear(8, 8)
    x, y = torch.randn(8, 8), torch.randn(8, 8)
    tags = torch.randn(5, 8)
    targets = (torch.rand(8, 5) > 0.6).float()
    targets[0] = 0  # a row without tags is ignored
    return linear, x, y, tags, targets


def _losses(linear, x, y, tags, targets):
    a, b = F.normalize(linear(x), dim=-1), F.normalize(linear(y), dim=-1)
    t = F.normalize(linear(tags), dim=-1)
    return ContrastiveLoss()(a, b, torch.tensor(5.0)) + MultiLabelTagLoss()(a, targets, t, torch.tensor(5.0))


def _worker(rank, world, port, out_dir, split):
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    dist.init_process_group('gloo', rank=rank, world_size=world)
    linear, x, y, tags, targets = _setup()
    sl = slice(0, split) if rank == 0 else slice(split, None)
    loss = _losses(linear, x[sl], y[sl], tags, targets[sl])
    loss.backward()
    # DDP averages gradients over ranks; do the same by hand.
    for p in linear.parameters():
        dist.all_reduce(p.grad)
        p.grad /= world
    dist.all_reduce(loss)
    torch.save(dict(loss=loss / world, grad=linear.weight.grad), os.path.join(out_dir, f'rank{rank}.pt'))
    dist.destroy_process_group()


@pytest.mark.slow  # a process group of two started three times (about 8 s each): make test-all
@pytest.mark.parametrize('split', [4, 3, 0])  # even halves, uneven, and a rank without any row
def test_two_processes_equal_one_process(tmp_path, split):
    linear, x, y, tags, targets = _setup()
    loss = _losses(linear, x, y, tags, targets)
    loss.backward()
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    mp.spawn(_worker, args=(2, port, str(tmp_path), split), nprocs=2, join=True)
    for rank in range(2):
        got = torch.load(tmp_path / f'rank{rank}.pt')
        torch.testing.assert_close(got['loss'], loss.detach(), rtol=1e-5, atol=1e-6)
        torch.testing.assert_close(got['grad'], linear.weight.grad, rtol=1e-5, atol=1e-6)
