"""MaskPooler: one feature vector per mask, the mask-weighted average of a dense feature map."""
from typing import List, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from umgclip_mm.registry import MODELS


@MODELS.register_module()
class MaskPooler(nn.Module):
    """Mask pooling: each mask is resized to the feature grid by area averaging (a cell's weight is the fraction of
    it the mask covers) and the features are averaged with those weights (and the validity map, if any).

    Args:
        min_coverage (float): Masks whose resized weight sums below this (in cells) count as unseen (coverage 0).
    """

    def __init__(self, min_coverage: float = 1e-3):
        super().__init__()
        self.min_coverage = min_coverage

    def forward(self, feats: torch.Tensor, masks: List[torch.Tensor],
                valid: Optional[torch.Tensor] = None) -> Tuple[torch.Tensor, torch.Tensor]:
        """Pool ``feats`` ``[B, C, h, w]`` under ``masks`` (per image ``[K_i, H, W]``, any resolution).

        Returns:
            tuple: pooled features ``[sum K_i, C]`` and the valid coverage of each mask in cells ``[sum K_i]``.
        """
        B, C, h, w = feats.shape
        out, cover = [], []
        for i, m in enumerate(masks):
            if len(m) == 0:
                continue
            weights = F.interpolate(m[:, None].to(feats.dtype), size=(h, w), mode='area')[:, 0]  # [K, h, w]
            if valid is not None:
                weights = weights * valid[i]
            total = weights.sum((1, 2))
            out.append(torch.einsum('khw,chw->kc', weights, feats[i]) / total.clamp(min=1e-6)[:, None])
            cover.append(torch.where(total >= self.min_coverage, total, torch.zeros_like(total)))
        if not out:
            return feats.new_zeros(0, C), feats.new_zeros(0)
        return torch.cat(out), torch.cat(cover)
