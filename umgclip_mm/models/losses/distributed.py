"""Cross-rank helpers for losses over the global batch (mmengine.dist's collectives, plus a gather that keeps
gradients, which mmengine.dist has not)."""
from typing import Tuple

import torch
from mmengine.dist import all_gather, all_reduce, get_rank, get_world_size


def gather_with_grad(x: torch.Tensor) -> Tuple[torch.Tensor, int]:
    """Concatenate ``x`` from every rank along dim 0, keeping the autograd graph to every rank's copy.

    Uses ``torch.distributed.nn.functional.all_gather``, whose backward sums the gradients every rank's loss sends
    to each slice and hands each rank its own. Ranks may hold different numbers of rows (zero included).

    Returns:
        tuple: the gathered tensor ``[sum of local sizes, ...]`` and the offset of this rank's rows in it.
        Without a process group (or with one rank): ``x`` itself and 0.
    """
    if get_world_size() == 1:
        return x, 0
    from torch.distributed.nn.functional import all_gather as all_gather_with_grad
    sizes = [int(n) for n in all_gather(torch.tensor([x.shape[0]], device=x.device))]
    pad = max(sizes) - x.shape[0]
    if pad:  # all_gather needs equal shapes: pad to the largest and cut the padding off again
        x = torch.cat([x, x.new_zeros(pad, *x.shape[1:])])
    parts = [p[:n] for p, n in zip(all_gather_with_grad(x), sizes)]
    return torch.cat(parts), sum(sizes[:get_rank()])


def global_mean_divisor(n_local: int, device: torch.device) -> float:
    """What to divide a rank's SUM of per-row losses by so that DDP's gradient averaging over ranks yields the mean
    over all rows of all ranks: ``N_global / world_size`` (``n_local`` without a process group). Collective: every
    rank must call it in the same order."""
    n = torch.tensor([float(n_local)], device=device)
    all_reduce(n, op='mean')  # a no-op without a process group
    return float(n)
