from .ov_det_inferencer import OVDetInferencer
from .ov_seg_inferencer import OVSegInferencer
from .umgclip_inferencer import UMGCLIPInferencer
from .zero_shot_inferencer import ZeroShotInferencer

__all__ = ['OVDetInferencer', 'OVSegInferencer', 'UMGCLIPInferencer', 'ZeroShotInferencer']
