from .ov_bbox_head import OVShared2FCBBoxHead
from .ov_mask2former_head import OVMask2FormerHead
from .ov_mask2former_seg_head import OVMask2FormerSegHead
from .ov_maskformer_fusion_head import OVMaskFormerFusionHead, semantic_probs
from .ov_roi_head import OVStandardRoIHead

__all__ = ['OVMask2FormerHead', 'OVMask2FormerSegHead', 'OVMaskFormerFusionHead', 'OVShared2FCBBoxHead',
           'OVStandardRoIHead', 'semantic_probs']
