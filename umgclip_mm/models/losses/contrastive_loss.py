"""ContrastiveLoss: symmetric InfoNCE over the global batch, with gradients that are correct across ranks."""
from typing import Tuple

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F

from umgclip_mm.registry import MODELS


def gather_with_grad(x: torch.Tensor) -> Tuple[torch.Tensor, int]:
    """Concatenate ``x`` from every rank along dim 0, keeping the autograd graph to every rank's copy.

    Uses ``torch.distributed.nn.functional.all_gather``, whose backward sums the gradients that every rank's loss
    sends to each slice and returns each rank its own slice. With DDP's gradient averaging this gives exactly the
    gradient of the mean of the per-rank losses.

    Returns:
        tuple: the gathered tensor ``[sum of local sizes, ...]`` and the offset of this rank's rows in it.
        Without an initialised process group: ``x`` itself and 0.
    """
    if not (dist.is_available() and dist.is_initialized()) or dist.get_world_size() == 1:
        return x, 0
    from torch.distributed.nn.functional import all_gather
    sizes = [torch.zeros(1, dtype=torch.long, device=x.device) for _ in range(dist.get_world_size())]
    dist.all_gather(sizes, torch.tensor([x.shape[0]], device=x.device))
    sizes = [int(s) for s in sizes]
    if len(set(sizes)) > 1:
        # all_gather needs equal shapes: pad to the largest and cut the padding off again.
        pad = max(sizes) - x.shape[0]
        x = torch.cat([x, x.new_zeros(pad, *x.shape[1:])]) if pad else x
        parts = all_gather(x)
        parts = [p[:n] for p, n in zip(parts, sizes)]
    else:
        parts = all_gather(x)
    rank = dist.get_rank()
    return torch.cat(parts), sum(sizes[:rank])


@MODELS.register_module()
class ContrastiveLoss(nn.Module):
    """CLIP's symmetric InfoNCE between two aligned sets of embeddings.

    Row ``i`` of ``a`` and row ``i`` of ``b`` are the positive pair; every other row of the GLOBAL batch (all ranks)
    is a negative. Each rank computes the loss of its own rows against all columns (open_clip's ``local_loss`` with
    ``gather_with_grad``), which costs ``O(local x global)`` memory instead of ``O(global^2)``.

    Args:
        loss_weight (float): Multiplier of the loss.
    """

    def __init__(self, loss_weight: float = 1.0):
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self, a: torch.Tensor, b: torch.Tensor, logit_scale: torch.Tensor) -> torch.Tensor:
        """Loss of L2-normalised embeddings ``a`` and ``b`` (``[N, D]`` each, local rows) at temperature
        ``1 / logit_scale``."""
        if a.shape != b.shape:
            raise ValueError(f'paired embeddings must have the same shape, got {tuple(a.shape)} and {tuple(b.shape)}')
        all_a, offset = gather_with_grad(a)
        all_b, _ = gather_with_grad(b)
        labels = torch.arange(a.shape[0], device=a.device) + offset
        loss_a = F.cross_entropy(logit_scale * a @ all_b.t(), labels)
        loss_b = F.cross_entropy(logit_scale * b @ all_a.t(), labels)
        return self.loss_weight * (loss_a + loss_b) / 2
