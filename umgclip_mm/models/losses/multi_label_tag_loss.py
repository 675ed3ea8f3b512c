"""MultiLabelTagLoss: embeddings against a vocabulary of tag embeddings, several positives per row."""
import torch
import torch.nn as nn
import torch.nn.functional as F

from umgclip_mm.registry import MODELS
from .distributed import global_mean_divisor


@MODELS.register_module()
class MultiLabelTagLoss(nn.Module):
    """Multi-positive softmax cross-entropy over a tag vocabulary.

    Every tag of the batch's vocabulary is a class whose weight is its text embedding. For a row with tags ``P``
    the target distribution is uniform over ``P`` and the loss is ``-1/|P| sum_{t in P} log softmax(s * e @ T^T)_t``
    (UniCL's form of multi-label contrastive learning: the tag terms share CLIP's temperature and need no bias).

    Args:
        loss_weight (float): Multiplier of the loss.
    """

    def __init__(self, loss_weight: float = 1.0):
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self, embeds: torch.Tensor, targets: torch.Tensor, tag_embeds: torch.Tensor,
                logit_scale: torch.Tensor) -> torch.Tensor:
        """Loss of L2-normalised ``embeds`` ``[N, D]`` with multi-hot ``targets`` ``[N, T]`` against normalised
        ``tag_embeds`` ``[T, D]``. Rows without any positive are ignored; with none at all the loss is 0.

        Under DDP the mean is over the rows of ALL ranks (each rank divides its sum by ``N_global / world_size``),
        so ranks with different numbers of rows are weighted correctly. Every rank must call it in every step. The
        rows are this rank's; ``tag_embeds`` must be the same global vocabulary on every rank, so that each row's
        softmax runs over the same classes as with one process (``UMGCLIP`` gathers every rank's tags and their
        embeddings, see ``UMGCLIP.loss``).
        """
        has = targets.sum(1) > 0
        divisor = global_mean_divisor(int(has.sum()), embeds.device)
        if not bool(has.any()):
            return (embeds.sum() + tag_embeds.sum()) * 0.0
        logits = logit_scale * embeds[has] @ tag_embeds.t()
        target = targets[has].to(logits.dtype)
        target = target / target.sum(1, keepdim=True)
        return self.loss_weight * -(target * F.log_softmax(logits, dim=1)).sum() / divisor
