"""OVSemSegDataset: a folder of images and label maps, trained on a subset ("seen") of its classes."""
import os.path as osp
from typing import Dict, List, Optional, Sequence

import mmcv
import numpy as np
from mmengine import fileio
from mmseg.datasets import BaseSegDataset

from umgclip_mm.registry import DATASETS
from umgclip_mm.vocabulary import read_class_file, read_class_list
from .unlisted_images import keep_listed_images


def first_names(entries: Sequence[str]) -> List[str]:
    """The class names of class-list entries: ``'building, edifice'`` -> ``'building'`` (the name as written,
    stripped; synonyms are the vocabulary's business, not the data set's)."""
    return [e.replace('|', ',').split(',')[0].strip() for e in entries]


def subset_label_map(classes: Sequence[str], new_classes: Optional[Sequence[str]], ignore_index: int,
                     where: str) -> Optional[Dict[int, int]]:
    """mmseg's ``label_map`` for a data set restricted to ``new_classes``: file label ``i`` (``classes[i]``) ->
    its index in ``new_classes``, or ``ignore_index`` when it is not there (mmseg always uses 255, which is a real
    class of a data set with more than 255 classes). None when ``new_classes`` is None or all of ``classes``.

    Raises:
        ValueError: naming ``where`` and the first of ``new_classes`` missing from ``classes``.
    """
    if new_classes is None or list(new_classes) == list(classes):
        return None
    unknown = [c for c in new_classes if c not in classes]
    if unknown:
        raise ValueError(f'{where}: {unknown[0]!r} (of {len(unknown)} unknown) is not one of the data set\'s '
                         f'{len(classes)} classes; list a subset of them, spelled as in its class list')
    index = {c: i for i, c in enumerate(new_classes)}
    return {i: index.get(c, ignore_index) for i, c in enumerate(classes)}


@DATASETS.register_module()
class OVSemSegDataset(BaseSegDataset):
    """Semantic segmentation from a folder of images and a folder of label maps (class index per pixel), where
    training may use only the "seen" classes: how an open-vocabulary model is trained for zero-shot evaluation.

    The label maps' classes come from ``metainfo=dict(classes=[...])`` or ``class_list`` (label ``i`` is class
    ``i``). With ``seen_classes`` the data set's classes become those (in their order, the labels renumbered to
    match, as mmseg's ``label_map`` does) and every other class's pixels become ``ignore_index``. A model trained
    on them still learns to call those pixels something seen, unless the images are left out:
    ``skip_unlisted_images`` does that (the inductive zero-shot protocol, as
    :class:`~umgclip_mm.datasets.OVCocoPanopticDataset`).

    Layout: ``data_prefix=dict(img_path='images/train', seg_map_path='semantic/train')`` with the same file stems
    (e.g. the toy world's ``images/train/train_000000.png`` and ``semantic/train/train_000000.png``: uint8, 255 =
    unlabelled). 8-bit label maps load with mmseg's ``LoadAnnotations``, 16-bit ones with
    :class:`~umgclip_mm.datasets.LoadSegAnnotations16`.

    Args:
        class_list (str, optional): The classes, when ``metainfo`` has none: the name of a shipped class list
            (``'ade20k_150'``, see :func:`umgclip_mm.vocabulary.available_class_lists`) or a file with one class per
            line (synonyms after ``,`` or ``|`` are dropped here: the data set's class is the first name).
        seen_classes (Sequence[str] | str, optional): The classes to keep (a subset, or a file with one per line);
            None keeps all.
        skip_unlisted_images (bool): In training (not ``test_mode``), leave out every image whose label map shows
            a class outside ``seen_classes``. Reads every label map once when the data set loads (a few ms each).
        img_suffix (str): Image file suffix. Defaults to ``'.png'``.
        seg_map_suffix (str): Label map file suffix. Defaults to ``'.png'``.
        ignore_index (int): The label maps' "unlabelled" value, and what the classes outside ``seen_classes``
            become. Defaults to 255.
        **kwargs: What ``mmseg.BaseSegDataset`` takes (``data_root``, ``data_prefix``, ``ann_file``, ``pipeline``,
            ``reduce_zero_label``, ...).
    """

    def __init__(self,
                 class_list: Optional[str] = None,
                 seen_classes=None,
                 skip_unlisted_images: bool = False,
                 img_suffix: str = '.png',
                 seg_map_suffix: str = '.png',
                 ignore_index: int = 255,
                 metainfo: Optional[dict] = None,
                 **kwargs) -> None:
        metainfo = dict(metainfo or {})
        if class_list is not None and metainfo.get('classes') is not None:
            raise ValueError('OVSemSegDataset: give the classes either as metainfo=dict(classes=...) or as '
                             'class_list=..., not both')
        if class_list is not None:
            entries = read_class_file(class_list) if osp.isfile(class_list) else read_class_list(class_list)
            metainfo['classes'] = first_names(entries)
        if metainfo.get('classes') is None:
            raise ValueError('OVSemSegDataset: no classes; give metainfo=dict(classes=[...]) in label order, or '
                             'class_list= (a shipped list name or a file with one class per line)')
        self.all_classes = tuple(metainfo['classes'])
        if isinstance(seen_classes, str):
            seen_classes = first_names(read_class_file(seen_classes))
        self.seen_classes = None if seen_classes is None else tuple(first_names(seen_classes))
        if self.seen_classes is not None:
            metainfo['classes'] = self.seen_classes
        metainfo['all_classes'] = self.all_classes
        self.skip_unlisted_images = skip_unlisted_images
        super().__init__(img_suffix=img_suffix, seg_map_suffix=seg_map_suffix, ignore_index=ignore_index,
                         metainfo=metainfo, **kwargs)

    def get_label_map(self, new_classes: Optional[Sequence] = None) -> Optional[Dict[int, int]]:
        """File label -> label among ``seen_classes`` (others: ``ignore_index``); None when all are kept."""
        return subset_label_map(self.all_classes, new_classes, self.ignore_index,
                                f'{type(self).__name__} seen_classes')

    def load_data_list(self) -> List[dict]:
        img_dir = self.data_prefix.get('img_path', '')
        if img_dir and '://' not in img_dir and not osp.isdir(img_dir):
            raise FileNotFoundError(f'{type(self).__name__}: image folder {img_dir} not found (data_root + '
                                    f'data_prefix img_path); the toy world is made by '
                                    f'tools/dataset_converters/make_synthetic.py')
        data_list = super().load_data_list()
        if not data_list:
            raise FileNotFoundError(f'{type(self).__name__}: no "*{self.img_suffix}" image in '
                                    f'{self.data_prefix.get("img_path")} (data_prefix img_path); check data_root, '
                                    f'data_prefix and img_suffix')
        if self.skip_unlisted_images and not self.test_mode and self.label_map is not None:
            data_list = keep_listed_images(data_list, lambda d: self._has_unlisted(d['seg_map_path']),
                                           type(self).__name__, f'label maps in {self.data_prefix.get("seg_map_path")}',
                                           'seen_classes', 'those pixels ignored')
        return data_list

    def _has_unlisted(self, path: str) -> bool:
        """Whether the label map at ``path`` shows a class that ``label_map`` drops."""
        if not fileio.exists(path, backend_args=self.backend_args):
            raise FileNotFoundError(f'{path}: label map of an image not found (data_prefix seg_map_path, '
                                    f'seg_map_suffix={self.seg_map_suffix!r}); every image needs one')
        seg = mmcv.imfrombytes(fileio.get(path, backend_args=self.backend_args), flag='unchanged',
                               backend='pillow')
        values = np.unique(seg).astype(np.int64)
        if self.reduce_zero_label:
            values = values[(values != 0) & (values != self.ignore_index)] - 1
        values = values[values != self.ignore_index]
        beyond = values[values >= len(self.all_classes)]
        if beyond.size:
            raise ValueError(f'{path}: label {int(beyond[0])} but the data set has {len(self.all_classes)} classes '
                             f'(metainfo classes / class_list); list every class of the label maps, in label order')
        return any(self.label_map[int(v)] == self.ignore_index for v in values)
