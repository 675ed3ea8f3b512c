from .synthetic_caption_dataset import SyntheticCaptionDataset
from .transforms import *  # noqa: F401,F403
from .transforms import __all__ as _transforms
from .ov_coco_panoptic_dataset import OVCocoPanopticDataset
from .umg_dataset import UMGDataset
from .umg_webdataset import UMGWebDataset, umg41m_record

__all__ = ['OVCocoPanopticDataset', 'SyntheticCaptionDataset', 'UMGDataset', 'UMGWebDataset', 'umg41m_record'] + _transforms
