from .ov_encoder_decoder import OVEncoderDecoder
from .zero_shot_segmentor import ZeroShotSegmentor

__all__ = ['OVEncoderDecoder', 'ZeroShotSegmentor']
