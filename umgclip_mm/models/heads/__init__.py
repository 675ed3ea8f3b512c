from .ov_mask2former_head import OVMask2FormerHead
from .ov_maskformer_fusion_head import OVMaskFormerFusionHead

__all__ = ['OVMask2FormerHead', 'OVMaskFormerFusionHead']
