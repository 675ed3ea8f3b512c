"""PascalContext459Dataset: PASCAL Context's full 459 classes (PC-459), in the detectron2 layout of FC-CLIP."""
from umgclip_mm.registry import DATASETS
from umgclip_mm.vocabulary import read_class_list

from .label16_seg_dataset import Label16SegDataset
from .ov_sem_seg_dataset import first_names


@DATASETS.register_module()
class PascalContext459Dataset(Label16SegDataset):
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
        **kwargs: What :class:`Label16SegDataset` takes (16-bit maps, ``ignore_index`` 65535).
    """
    METAINFO = dict(classes=tuple(first_names(read_class_list('pascal_context_459'))))
