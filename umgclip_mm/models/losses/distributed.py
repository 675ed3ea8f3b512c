"""Cross-rank helpers for losses over the global batch (mmengine.dist's collectives, plus a gather that keeps
gradients, which mmengine.dist has not)."""
from typing import List, Sequence, Tuple

import numpy as np
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


def all_gather_strings(strings: Sequence[str], device: torch.device) -> List[str]:
    """Every rank's ``strings`` in rank order (rank 0's first, in their order), duplicates dropped keeping the first
    occurrence: the same list on every rank. Without a process group: ``strings`` without duplicates, in order.
    Collective: every rank must call it in the same order.

    The strings travel as one ``uint8`` tensor per rank (each string's UTF-8 byte count as 4 bytes, then the bytes)
    through mmengine's ``all_gather``, which moves it to the backend's device (CPU for gloo, the current GPU for
    NCCL) and back: the path ``gather_with_grad`` uses, with no pickling of other ranks' data (what
    ``all_gather_object`` would do) and any character allowed in a string.
    """
    if get_world_size() == 1:
        return list(dict.fromkeys(strings))
    encoded = [s.encode('utf-8') for s in strings]
    payload = np.array([len(b) for b in encoded], dtype='<i4').tobytes() + b''.join(encoded)
    local = torch.from_numpy(np.frombuffer(payload, dtype=np.uint8).copy()).to(device)
    counts = [(int(c[0]), int(c[1])) for c in all_gather(torch.tensor([len(encoded), len(payload)], device=device))]
    longest = max(size for _, size in counts)
    if longest == 0:  # no rank has any string
        return []
    local = torch.cat([local, local.new_zeros(longest - len(payload))])  # all_gather needs equal shapes
    out = {}
    for data, (n, size) in zip(all_gather(local), counts):
        data = data[:size].cpu().numpy().tobytes()
        lengths = np.frombuffer(data[:4 * n], dtype='<i4')
        start = 4 * n
        for length in lengths.tolist():
            out.setdefault(data[start:start + length].decode('utf-8'))
            start += length
    return list(out)


def rank_share(n: int) -> slice:
    """This rank's contiguous share of ``n`` items split over the ranks in rank order, sizes differing by at most one
    (some shares may be empty). Without a process group: all of them."""
    world, rank = get_world_size(), get_rank()
    return slice(rank * n // world, (rank + 1) * n // world)
