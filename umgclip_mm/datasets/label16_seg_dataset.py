"""Label16SegDataset: the base of the semantic data sets whose label maps are 16-bit (more than 255 classes)."""
from typing import Dict, Optional, Sequence

from mmseg.datasets import BaseSegDataset

from .ov_sem_seg_dataset import subset_label_map


class Label16SegDataset(BaseSegDataset):
    """mmseg's ``BaseSegDataset`` for label maps with more than 255 classes (ADE20K-847, PASCAL Context-459): 16-bit
    ``.tif`` maps, 0-based class indices, ``65535`` unlabelled. Subclasses set ``METAINFO``. Load the labels with
    :class:`~umgclip_mm.datasets.LoadSegAnnotations16` (mmseg's ``LoadAnnotations`` folds them into 8 bits) and
    evaluate with ``ignore_index=65535``. A ``metainfo=dict(classes=...)`` subset maps the other classes to
    ``ignore_index``, not to 255 as mmseg's label map does (255 is a real class here).

    Args:
        img_suffix (str): Defaults to ``'.jpg'``.
        seg_map_suffix (str): Defaults to ``'.tif'``.
        ignore_index (int): The label maps' "unlabelled" value. Defaults to 65535.
        reduce_zero_label (bool): Defaults to False (labels are 0-based already).
        **kwargs: What ``mmseg.BaseSegDataset`` takes.
    """

    def __init__(self,
                 img_suffix: str = '.jpg',
                 seg_map_suffix: str = '.tif',
                 ignore_index: int = 65535,
                 reduce_zero_label: bool = False,
                 **kwargs) -> None:
        super().__init__(img_suffix=img_suffix, seg_map_suffix=seg_map_suffix, ignore_index=ignore_index,
                         reduce_zero_label=reduce_zero_label, **kwargs)

    def get_label_map(self, new_classes: Optional[Sequence] = None) -> Optional[Dict[int, int]]:
        """As mmseg's, but the dropped classes go to ``ignore_index`` (65535), not to 255 (a real class here)."""
        return subset_label_map(self.METAINFO['classes'], new_classes, self.ignore_index,
                                f'{type(self).__name__} metainfo classes')
