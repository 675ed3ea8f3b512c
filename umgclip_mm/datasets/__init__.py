from .ade20k_847_dataset import ADE20K847Dataset  # noqa: F401
from .ov_coco_dataset import OVCocoDataset  # noqa: F401
from .ov_coco_panoptic_dataset import OVCocoPanopticDataset  # noqa: F401 (listed in __all__)
from .ov_lvis_dataset import OVLVISDataset  # noqa: F401
from .ov_sem_seg_dataset import OVSemSegDataset  # noqa: F401
from .pascal_context_459_dataset import PascalContext459Dataset  # noqa: F401
from .samplers import ResumableInfiniteSampler  # noqa: F401
from .transforms import *  # noqa: F401,F403
from .transforms import __all__ as _transforms
from .umg_dataset import UMGDataset  # noqa: F401
from .umg_mixture_dataset import UMGMixtureDataset  # noqa: F401
from .umg_retrieval_dataset import UMGRetrievalDataset  # noqa: F401
from .umg_webdataset import UMGWebDataset, umg41m_record  # noqa: F401

__all__ = ['ADE20K847Dataset', 'OVCocoDataset', 'OVCocoPanopticDataset', 'OVLVISDataset', 'OVSemSegDataset',
           'PascalContext459Dataset', 'ResumableInfiniteSampler', 'UMGDataset', 'UMGMixtureDataset',
           'UMGRetrievalDataset', 'UMGWebDataset', 'umg41m_record'] + _transforms
