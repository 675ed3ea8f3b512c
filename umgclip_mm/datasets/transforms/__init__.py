from .load_seg_annotations16 import LoadSegAnnotations16
from .load_umg_annotations import LoadUMGAnnotations
from .load_umg_image import LoadUMGImage
from .pack_umg_inputs import PackUMGInputs
from .sample_captions import SampleCaptions
from .umg_random_resized_crop import UMGRandomResizedCrop

__all__ = [
    'LoadSegAnnotations16', 'LoadUMGImage', 'LoadUMGAnnotations', 'UMGRandomResizedCrop', 'SampleCaptions',
    'PackUMGInputs'
]
