"""ADE20K847Dataset: ADE20K-Full's 847 classes (A-847), in the detectron2 layout of FC-CLIP / SAN / CAT-Seg."""
from typing import Dict, Optional, Sequence

from mmseg.datasets import BaseSegDataset

from umgclip_mm.registry import DATASETS
from umgclip_mm.vocabulary import read_class_list
from .ov_sem_seg_dataset import first_names, subset_label_map


@DATASETS.register_module()
class ADE20K847Dataset(BaseSegDataset):
    """The 847-class ADE20K-Full validation set (2000 images), for zero-shot evaluation.

    Layout, as ``tools/dataset_converters/prepare_ade20k_847.py`` (and FC-CLIP's / SAN's
    ``prepare_ade20k_full_sem_seg.py``) write it::

        ADE20K_2021_17_01/images_detectron2/validation/ADE_val_*.jpg
        ADE20K_2021_17_01/annotations_detectron2/validation/ADE_val_*.tif   (uint16 class index 0..846, 65535 = ignore)

    so ``data_root='data/ADE20K_2021_17_01'``, ``data_prefix=dict(img_path='images_detectron2/validation',
    seg_map_path='annotations_detectron2/validation')``. Load the labels with
    :class:`~umgclip_mm.datasets.LoadSegAnnotations16` (mmseg's ``LoadAnnotations`` folds them into 8 bits) and
    evaluate with ``ignore_index=65535``.

    ``METAINFO['classes']`` are the first names of the shipped class list ``ade20k_847``
    (``umgclip_mm/vocabulary/class_lists/ade20k_847.txt``, FC-CLIP's list with ten repeated first names made
    distinct); the synonyms the text encoder averages over stay in the list, so take the model's vocabulary from
    ``dict(class_list='ade20k_847')`` (``dict(dataset='umgclip_mm.ADE20K847Dataset')`` gives the same classes by
    their first names only). A ``metainfo=dict(classes=...)`` subset maps the other classes to ``ignore_index``.

    Args:
        img_suffix (str): Defaults to ``'.jpg'``.
        seg_map_suffix (str): Defaults to ``'.tif'``.
        ignore_index (int): The label maps' "unlabelled" value. Defaults to 65535.
        reduce_zero_label (bool): Defaults to False (labels are 0-based already).
        **kwargs: What ``mmseg.BaseSegDataset`` takes.
    """
    METAINFO = dict(classes=tuple(first_names(read_class_list('ade20k_847'))))

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
