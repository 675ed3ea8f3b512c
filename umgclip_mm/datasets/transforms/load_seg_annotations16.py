"""LoadSegAnnotations16: semantic label maps with more than 256 classes (16-bit PNG / TIFF), kept as they are."""
from typing import Optional

import mmcv
import numpy as np
from mmengine import fileio
from mmseg.datasets.transforms import LoadAnnotations

from umgclip_mm.registry import TRANSFORMS


@TRANSFORMS.register_module()
class LoadSegAnnotations16(LoadAnnotations):
    """mmseg's ``LoadAnnotations`` for label maps whose class indices go above 255: ADE20K-Full (847 classes) and
    PASCAL Context full (459 classes) as FC-CLIP / SAN / CAT-Seg write them, 16-bit ``*.tif`` with 65535 = ignore.

    mmseg's own loader casts every label map to ``uint8``, which folds class 300 into class 44 (300 mod 256) and
    turns 65535 into 255; this one keeps the values as ``uint16`` (``gt_seg_map``), which mmseg's ``Resize``,
    ``RandomCrop``, ``RandomFlip`` and ``PackSegInputs`` (to int64) carry through unchanged. Evaluate such data with
    ``IoUMetric(ignore_index=65535)`` (or :class:`~umgclip_mm.evaluation.metrics.OVIoUMetric`). 8-bit label maps load as
    with mmseg (values unchanged, ``uint16`` dtype), so the transform can stand in for mmseg's everywhere.

    The data set's ``label_map`` (kept classes -> new index, dropped ones -> its ignore value) and
    ``reduce_zero_label`` apply as in mmseg.

    Args:
        reduce_zero_label (bool, optional): As mmseg's (None: the data set's). Label 0 becomes ``ignore_index`` and
            the others move down by one.
        ignore_index (int, optional): What label 0 becomes under ``reduce_zero_label``. None: 255 for an 8-bit
            file, 65535 for a 16-bit one.
        imdecode_backend (str): mmcv's image decoding backend; ``'pillow'`` (default) and ``'cv2'`` both decode
            16-bit TIFF and PNG files exactly (``'tifffile'`` needs ``imagecodecs`` for compressed files).
        backend_args (dict, optional): File backend arguments, as mmseg's.
    """

    def __init__(self,
                 reduce_zero_label: Optional[bool] = None,
                 ignore_index: Optional[int] = None,
                 imdecode_backend: str = 'pillow',
                 backend_args: Optional[dict] = None) -> None:
        super().__init__(reduce_zero_label=reduce_zero_label, backend_args=backend_args,
                         imdecode_backend=imdecode_backend)
        if ignore_index is not None and not 0 <= ignore_index <= 65535:
            raise ValueError(f'LoadSegAnnotations16: ignore_index={ignore_index} does not fit a 16-bit label map; '
                             f'use 0..65535 (255 or 65535)')
        self.ignore_index = ignore_index

    def _load_seg_map(self, results: dict) -> None:
        path = results['seg_map_path']
        seg = mmcv.imfrombytes(fileio.get(path, backend_args=self.backend_args), flag='unchanged',
                               backend=self.imdecode_backend)
        if seg is None:
            raise ValueError(f'{path}: cannot decode the label map (seg_map_path); write it as a single-channel '
                             f'8- or 16-bit PNG or TIFF')
        if seg.ndim == 3 and seg.shape[2] == 1:
            seg = seg[..., 0]
        if seg.ndim != 2 or seg.dtype not in (np.uint8, np.uint16):
            raise ValueError(f'{path}: a label map (seg_map_path) must be one channel of uint8 or uint16 class '
                             f'indices, got shape {seg.shape} of {seg.dtype}; write the class index per pixel (e.g. '
                             f'with tools/dataset_converters/prepare_ade20k_847.py)')
        ignore = self.ignore_index
        if ignore is None:
            ignore = 255 if seg.dtype == np.uint8 else 65535
        seg = seg.astype(np.uint16)

        if self.reduce_zero_label is None:
            self.reduce_zero_label = results['reduce_zero_label']
        if self.reduce_zero_label != results['reduce_zero_label']:
            raise ValueError(f'LoadSegAnnotations16: reduce_zero_label={self.reduce_zero_label} but the data set '
                             f'has reduce_zero_label={results["reduce_zero_label"]}; set it on the data set only')
        if self.reduce_zero_label:
            zero = seg == 0
            seg = seg - 1
            seg[zero] = ignore
            seg[seg == ignore - 1] = ignore  # the file's own ignore value, moved down with the rest
        label_map = results.get('label_map', None)
        if label_map is not None:
            old = seg.copy()
            for old_id, new_id in label_map.items():
                seg[old == old_id] = new_id
        results['gt_seg_map'] = seg
        results['seg_fields'].append('gt_seg_map')

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(reduce_zero_label={self.reduce_zero_label}, '
                f'ignore_index={self.ignore_index}, imdecode_backend={self.imdecode_backend!r}, '
                f'backend_args={self.backend_args})')
