"""Cross-rank helpers for losses over the global batch."""
from typing import Tuple

import torch
import torch.distributed as dist


def is_distributed() -> bool:
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def world_size() -> int:
    return dist.get_world_size() if is_distributed() else 1


def gather_with_grad(x: torch.Tensor) -> Tuple[torch.Tensor, int]:
    """Concatenate ``x`` from every rank along dim 0, keeping the autograd graph to every rank's copy.

    Uses ``torch.distributed.nn.functional.all_gather``, whose backward sums the gradients every rank's loss sends
    to each slice and hands each rank its own. Ranks may hold different numbers of rows (zero included).

    Returns:
        tuple: the gathered tensor ``[sum of local sizes, ...]`` and the offset of this rank's rows in it.
        Without an initialised process group: ``x`` itself and 0.
    """
    if not is_distributed():
        return x, 0
    from torch.distributed.nn.functional import all_gather
    sizes = [torch.zeros(1, dtype=torch.long, device=x.device) for _ in range(dist.get_world_size())]
    dist.all_gather(sizes, torch.tensor([x.shape[0]], device=x.device))
    sizes = [int(s) for s in sizes]
    pad = max(sizes) - x.shape[0]
    if pad:  # all_gather needs equal shapes: pad to the largest and cut the padding off again
        x = torch.cat([x, x.new_zeros(pad, *x.shape[1:])])
    parts = [p[:n] for p, n in zip(all_gather(x), sizes)]
    return torch.cat(parts), sum(sizes[:dist.get_rank()])


def global_mean_divisor(n_local: int, device: torch.device) -> float:
    """What to divide a rank's SUM of per-row losses by so that DDP's gradient averaging over ranks yields the mean
    over all rows of all ranks: ``N_global / world_size`` (``n_local`` without a process group). Collective: every
    rank must call it in the same order."""
    if not is_distributed():
        return float(n_local)
    n = torch.tensor([float(n_local)], device=device)
    dist.all_reduce(n)
    return float(n) / dist.get_world_size()
