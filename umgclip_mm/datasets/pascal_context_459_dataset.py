"""PascalContext459Dataset: PASCAL Context's full 459 classes (PC-459), in the detectron2 layout of FC-CLIP."""
from typing import Dict, Optional, Sequence

from mmseg.datasets import BaseSegDataset

from umgclip_mm.registry import DATASETS
from umgclip_mm.vocabulary import read_class_list
from .ov_sem_seg_dataset import first_names, subset_label_map


@DATASETS.register_module()
class PascalContext459Dataset(BaseSegDataset):
    """The 459-class PASCAL Context validation set (5105 images of VOC2010), for zero-shot evaluation.

    Layout, as ``tools/dataset_converters/prepare_pascal_context_459.py`` (and FC-CLIP's
    ``prepare_pascal_ctx_full_sem_seg.py``) write it::

        pascal_ctx_d2/images/validation/2008_000002.jpg ...
        pascal_ctx_d2/annotations_ctx459/validation/2008_000002.tif ...   (uint16 class index 0..458, 65535 = ignore)

    so ``data_root='data/pascal_ctx_d2'``, ``data_prefix=dict(img_path='images/validation',
    seg_map_path='annotations_ctx459/validation')``. Load the labels with
    :class:`~umgclip_mm.datasets.LoadSegAnnotations16` (mmseg's ``LoadAnnotations`` folds them into 8 bits) and
    evaluate with ``ignore_index=65535``.

    ``METAINFO['classes']`` are the first names of the shipped class list ``pascal_context_459``
    (``umgclip_mm/vocabulary/class_lists/pascal_context_459.txt``, FC-CLIP's list: PASCAL Context's ``labels.txt``
    in its order, three names reworded: ``computer case``, ``lamp``, ``wood piece``); take the model's vocabulary,
    with the synonyms, from ``dict(class_list='pascal_context_459')``. A ``metainfo=dict(classes=...)`` subset maps
    the other classes to ``ignore_index``.

    Args:
        img_suffix (str): Defaults to ``'.jpg'``.
        seg_map_suffix (str): Defaults to ``'.tif'``.
        ignore_index (int): The label maps' "unlabelled" value. Defaults to 65535.
        reduce_zero_label (bool): Defaults to False (labels are 0-based already).
        **kwargs: What ``mmseg.BaseSegDataset`` takes.
    """
    METAINFO = dict(classes=tuple(first_names(read_class_list('pascal_context_459'))))

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
