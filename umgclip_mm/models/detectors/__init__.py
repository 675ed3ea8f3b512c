from .ov_mask2former import OVMask2Former
from .ov_two_stage_detector import OVTwoStageDetector

__all__ = ['OVMask2Former', 'OVTwoStageDetector']
