"""ADE20K847Dataset: ADE20K-Full's 847 classes (A-847), in the detectron2 layout of FC-CLIP / SAN / CAT-Seg."""
from umgclip_mm.registry import DATASETS
from umgclip_mm.vocabulary import read_class_list

from .label16_seg_dataset import Label16SegDataset
from .ov_sem_seg_dataset import first_names


@DATASETS.register_module()
class ADE20K847Dataset(Label16SegDataset):
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
        **kwargs: What :class:`Label16SegDataset` takes (16-bit maps, ``ignore_index`` 65535).
    """
    METAINFO = dict(classes=tuple(first_names(read_class_list('ade20k_847'))))
