from .ov_mask2former_head import OVMask2FormerHead
from .ov_maskformer_fusion_head import OVMaskFormerFusionHead, semantic_probs

__all__ = ['OVMask2FormerHead', 'OVMaskFormerFusionHead', 'semantic_probs']
