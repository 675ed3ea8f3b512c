"""ContrastiveLoss: symmetric InfoNCE over the global batch, with gradients that are correct across ranks."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.dist import get_world_size

from umgclip_mm.registry import MODELS
from .distributed import gather_with_grad


@MODELS.register_module()
class ContrastiveLoss(nn.Module):
    """CLIP's symmetric InfoNCE between two aligned sets of embeddings.

    Row ``i`` of ``a`` and row ``i`` of ``b`` are the positive pair; every other row of the GLOBAL batch (all ranks)
    is a negative. Each rank computes the loss of its own rows against all columns (open_clip's ``local_loss`` with
    ``gather_with_grad``), which costs ``O(local x global)`` memory instead of ``O(global^2)``. Ranks may hold
    different numbers of rows (regions and masks do): each rank's sum is divided by ``N_global / world_size``, so
    after DDP's averaging the loss and its gradients are exactly those of the mean over the global batch.

    Args:
        loss_weight (float): Multiplier of the loss.
    """

    def __init__(self, loss_weight: float = 1.0):
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self, a: torch.Tensor, b: torch.Tensor, logit_scale: torch.Tensor) -> torch.Tensor:
        """Loss of L2-normalised embeddings ``a`` and ``b`` (``[N, D]`` each, local rows, N may be 0) at
        temperature ``1 / logit_scale``. Every rank must call it in every step (the gather is collective)."""
        if a.shape != b.shape:
            raise ValueError(f'paired embeddings must have the same shape, got {tuple(a.shape)} and {tuple(b.shape)}')
        all_a, offset = gather_with_grad(a)
        all_b, _ = gather_with_grad(b)
        if a.shape[0] == 0:
            # No pairs here (other ranks may have some): a zero that still depends on the gathered tensors, so this
            # rank takes part in the all_gather backward the other ranks wait for.
            return (all_a.sum() + all_b.sum()) * 0.0
        labels = torch.arange(a.shape[0], device=a.device) + offset
        loss_a = F.cross_entropy(logit_scale * a @ all_b.t(), labels, reduction='sum')
        loss_b = F.cross_entropy(logit_scale * b @ all_a.t(), labels, reduction='sum')
        # the global row count is known from the gather: N_global / world_size, no extra collective
        return self.loss_weight * (loss_a + loss_b) / (2 * all_a.shape[0] / get_world_size())
