"""RoIAlignRegionPooler: one feature vector per box, pooled from a dense feature map."""
from typing import List, Optional, Tuple

import torch
import torch.nn as nn
from mmcv.ops import roi_align
from mmdet.structures.bbox import bbox2roi

from umgclip_mm.registry import MODELS


@MODELS.register_module()
class RoIAlignRegionPooler(nn.Module):
    """Average of a dense feature map inside each box, by RoIAlign (mmcv.ops) over an ``output_size`` grid of bins.

    With a validity map (token reduction dropped some patches) the average is taken over valid positions only:
    ``RoIAlign(features * valid) / RoIAlign(valid)``, so a box pools what the tower actually saw.

    Args:
        output_size (int): Bins per side inside each box (averaged into one vector).
        sampling_ratio (int): RoIAlign samples per bin (0: adaptive).
    """

    def __init__(self, output_size: int = 4, sampling_ratio: int = 0):
        super().__init__()
        self.output_size = output_size
        self.sampling_ratio = sampling_ratio

    def forward(self, feats: torch.Tensor, boxes: List[torch.Tensor], stride: float,
                valid: Optional[torch.Tensor] = None) -> Tuple[torch.Tensor, torch.Tensor]:
        """Pool ``feats`` ``[B, C, h, w]`` in ``boxes`` (per image ``[K_i, 4]`` xyxy, input pixels; mmdet's
        ``bbox2roi`` makes the RoIs).

        Args:
            stride (float): Input pixels per feature cell (the patch size).
            valid (Tensor, optional): ``[B, 1, h, w]``; 0 where a position carries no features.

        Returns:
            tuple: pooled features ``[sum K_i, C]`` and the valid coverage of each box ``[sum K_i]`` (0 means the
            box saw no valid position; its feature is then meaningless).
        """
        C = feats.shape[1]
        rois = bbox2roi([b.to(feats.device, feats.dtype) for b in boxes]) if boxes else feats.new_zeros(0, 5)
        if len(rois) == 0:
            return feats.new_zeros(0, C), feats.new_zeros(0)
        # mmcv's roi_align kernels index raw memory as if it were contiguous and silently return garbage for a
        # strided view (e.g. a transposed token sequence), so the input is made contiguous here.
        feats = feats.contiguous()
        if valid is None:
            pooled = roi_align(feats, rois, self.output_size, 1.0 / stride, self.sampling_ratio, 'avg', True)
            return pooled.mean((2, 3)), pooled.new_ones(len(rois))
        pooled = roi_align(torch.cat([feats * valid, valid], 1), rois, self.output_size, 1.0 / stride,
                           self.sampling_ratio, 'avg', True).sum((2, 3))
        weight = pooled[:, C]
        return pooled[:, :C] / weight.clamp(min=1e-6)[:, None], weight / self.output_size**2
