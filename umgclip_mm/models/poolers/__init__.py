from .mask_pooler import MaskPooler
from .roi_align_region_pooler import RoIAlignRegionPooler

__all__ = ['RoIAlignRegionPooler', 'MaskPooler']
