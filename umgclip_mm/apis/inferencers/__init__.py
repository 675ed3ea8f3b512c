from .ov_det_inferencer import OVDetInferencer
from .ov_seg_inferencer import OVSegInferencer
from .umgclip_inferencer import CLIPPreprocess, UMGCLIPInferencer
from .zero_shot_inferencer import ZeroShotInferencer

__all__ = ['CLIPPreprocess', 'OVDetInferencer', 'OVSegInferencer', 'UMGCLIPInferencer', 'ZeroShotInferencer']
