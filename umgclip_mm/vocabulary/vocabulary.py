"""Open-vocabulary class lists: parsing, synonyms, things and stuff, and which classes were seen in training.

Not a model part: data sets, metrics, hooks, demos and tools use vocabularies too.
"""
import importlib
import logging
import os
import os.path as osp
import re
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple, Union

from mmengine.logging import print_log

VocabSpec = Union[dict, Sequence[str], str, 'Vocabulary', None]

#: Folder of the class lists shipped with the package (``class_lists/<name>.txt``).
CLASS_LIST_DIR = osp.join(osp.dirname(osp.abspath(__file__)), 'class_lists')


def clean_class_name(name: str) -> str:
    """A class name as words: COCO panoptic's ``wall-other-merged`` -> ``wall``, ``sky-other`` -> ``sky``,
    ``dining table`` / ``dining_table`` -> ``dining table``."""
    name = re.sub(r'-(merged|other|stuff)\b', '', name.strip())
    return re.sub(r'[-_]+', ' ', name).strip()


def split_synonyms(entry: str) -> Tuple[str, ...]:
    """``'cat|kitten'``, or a data set's ``'toilet, can, commode'`` (ADE20K) -> cleaned synonyms, display name
    first."""
    return tuple(dict.fromkeys(n for n in map(clean_class_name, re.split(r'[|,]', entry)) if n))


def name_key(name: str) -> str:
    """What two class names must share to be the same class: the first synonym, cleaned and lower-cased (a data
    set's ``'toilet, can, commode'`` is the class ``toilet``)."""
    syns = split_synonyms(name)
    return syns[0].lower() if syns else ''


@dataclass(frozen=True)
class Vocabulary:
    """Classes as lists of synonyms (the first is the display name), things first.

    Attributes:
        synonyms (tuple[tuple[str, ...], ...]): Per class, the names its text embedding averages over.
        num_things (int): The first ``num_things`` classes are things, the rest stuff. A vocabulary without the
            distinction (semantic segmentation, classification) has every class a thing.
    """
    synonyms: Tuple[Tuple[str, ...], ...]
    num_things: int

    def __post_init__(self):
        object.__setattr__(self, 'synonyms', tuple(tuple(s) for s in self.synonyms))  # hashable: a cache key
        if not all(self.synonyms):
            raise ValueError('vocabulary: every class needs at least one name')
        if not 0 <= self.num_things <= len(self.synonyms):
            raise ValueError(f'vocabulary: num_things={self.num_things} for {len(self.synonyms)} classes')

    @property
    def names(self) -> List[str]:
        """Display names."""
        return [s[0] for s in self.synonyms]

    @property
    def thing_classes(self) -> List[str]:
        """Display names of the thing classes."""
        return self.names[:self.num_things]

    @property
    def stuff_classes(self) -> List[str]:
        """Display names of the stuff classes."""
        return self.names[self.num_things:]

    def __len__(self) -> int:
        return len(self.synonyms)

    def duplicates(self) -> List[Tuple[int, int]]:
        """``(first, repeat)`` index pairs of classes with the same display name."""
        first, pairs = {}, []
        for i, syns in enumerate(self.synonyms):
            j = first.setdefault(name_key(syns[0]), i)
            if j != i:
                pairs.append((j, i))
        return pairs

    def seen_mask(self, seen: 'Vocabulary') -> List[bool]:
        """Whether each class of this vocabulary was in ``seen`` (a class matches when any of its cleaned,
        lower-cased synonyms is one of ``seen``'s)."""
        known = {name_key(n) for syns in seen.synonyms for n in syns}
        return [any(name_key(n) in known for n in syns) for syns in self.synonyms]

    def unseen_names(self, seen: 'Vocabulary') -> List[str]:
        """Display names of the classes that ``seen`` does not have."""
        return [n for n, s in zip(self.names, self.seen_mask(seen)) if not s]

    def check_names(self, names: Sequence[str], what: str, num_things: Optional[int] = None) -> None:
        """Raise a ValueError at the first class where ``names`` (e.g. a data set's classes, whose label ``i`` the
        model must call class ``i``) disagree with this vocabulary's display names, in order.

        Args:
            names (Sequence[str]): The other class list.
            what (str): What ``names`` are, for the message (e.g. ``'train_dataloader.dataset classes'``).
            num_things (int, optional): The other list's number of thing classes, checked too when given.
        """
        for i, (mine, theirs) in enumerate(zip(self.names, names)):
            if name_key(mine) != name_key(theirs):
                raise ValueError(f'{what}: class {i} is {theirs!r} but the model\'s vocabulary has {mine!r} there; '
                                 f'labels would name the wrong class. Make the vocabulary list the same classes in '
                                 f'the same order (e.g. vocab=dict(dataset=...))')
        if len(names) != len(self):
            raise ValueError(f'{what}: {len(names)} classes but the model\'s vocabulary has {len(self)}')
        if num_things is not None and num_things != self.num_things:
            raise ValueError(f'{what}: {num_things} thing classes but the model\'s vocabulary has '
                             f'{self.num_things}; list things first and split thing_classes / stuff_classes alike')


def _entries(values: Union[str, Sequence[str]], where: str) -> List[Tuple[str, ...]]:
    """``'cat|kitty'`` -> ``('cat', 'kitty')`` (see :func:`split_synonyms`)."""
    if isinstance(values, str):
        values = [values]
    out = []
    for v in values:
        if not isinstance(v, str):
            raise TypeError(f'{where}: class names must be strings, got {v!r}')
        syns = split_synonyms(v)
        if not syns:
            raise ValueError(f'{where}: empty class name {v!r}')
        out.append(syns)
    return out


def read_class_file(path: str) -> List[str]:
    """One class per line (``name|synonym|...``); blank lines and ``#`` comments are skipped."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'vocabulary file {path} not found: write one class per line, synonyms separated '
                                f'by "|"')
    with open(path, encoding='utf-8') as f:
        return [ln.strip() for ln in f if ln.strip() and not ln.lstrip().startswith('#')]


def available_class_lists() -> List[str]:
    """Names of the class lists shipped in ``umgclip_mm/vocabulary/class_lists/`` (``'ade20k_847'``, ...)."""
    return sorted(f[:-4] for f in os.listdir(CLASS_LIST_DIR) if f.endswith('.txt'))


def class_list_path(name: str) -> str:
    """Path of a shipped class list.

    Args:
        name (str): A name of :func:`available_class_lists` (``'ade20k_150'``, ``'ade20k_847'``,
            ``'pascal_context_59'``, ``'pascal_context_459'``, ``'pascal_voc_20'``, ``'pascal_voc_21'``, ...).

    Returns:
        str: The path of ``class_lists/<name>.txt``.

    Raises:
        KeyError: ``name`` is not a shipped list; the message lists those that are.
    """
    path = osp.join(CLASS_LIST_DIR, f'{name}.txt')
    if osp.basename(name) != name or not osp.isfile(path):
        raise KeyError(f'vocabulary: no class list {name!r} in {CLASS_LIST_DIR}; available: '
                       f'{", ".join(available_class_lists())} (or give a file with classes_file=...)')
    return path


def read_class_list(name: str) -> List[str]:
    """The entries of a shipped class list, one per class in label order, each ``'name, synonym, ...'``
    (:func:`split_synonyms` splits them; the first name is the data set's class name).

    Args:
        name (str): A name of :func:`available_class_lists`, e.g. ``'ade20k_847'``.

    Returns:
        list[str]: The class entries (comment lines skipped).
    """
    return read_class_file(class_list_path(name))


def dataset_metainfo(name: str) -> dict:
    """``METAINFO`` of a registered data set type, named with its scope (``'mmdet.CocoPanopticDataset'``,
    ``'mmseg.ADE20KDataset'``, ``'mmpretrain.ImageNet'``, ``'umgclip_mm.X'``)."""
    scope, _, short = name.rpartition('.')
    scope = scope or 'umgclip_mm'
    try:
        registry = importlib.import_module(f'{scope}.registry').DATASETS
    except ImportError as err:
        raise KeyError(f'vocabulary: cannot import the registry of scope {scope!r} for data set {name!r}: {err}')
    registry.import_from_location()
    cls = registry.get(short)
    if cls is None or not hasattr(cls, 'METAINFO'):
        raise KeyError(f'vocabulary: no data set type {name!r} with a METAINFO is registered (e.g. '
                       f'"mmdet.CocoPanopticDataset", "mmseg.ADE20KDataset")')
    return dict(cls.METAINFO)


def build_vocabulary(spec: VocabSpec) -> Optional[Vocabulary]:
    """Build a :class:`Vocabulary` from a config.

    ``spec`` is one of:

    - a list of class names (each ``'name'`` or ``'name|synonym|...'``; a comma separates synonyms too, as in
      ADE20K's ``'toilet, can, commode'``), or the path of a file with one per line:
      every class a thing (semantic segmentation, classification);
    - ``dict(thing_classes=[...], stuff_classes=[...])``, or ``dict(classes=[...])`` (no thing/stuff distinction);
    - ``dict(thing_classes_file=..., stuff_classes_file=..., classes_file=...)``: the same, from files;
    - ``dict(dataset='mmdet.CocoPanopticDataset')``: the ``METAINFO`` classes of a registered data set (its
      ``thing_classes`` and ``stuff_classes`` where it has them, else its ``classes``);
    - ``dict(class_list='ade20k_847')``: a class list shipped with the package (:func:`read_class_list`; names in
      :func:`available_class_lists`: ``ade20k_150``, ``ade20k_847``, ``pascal_context_59``,
      ``pascal_context_459``, ``pascal_voc_20``, ``pascal_voc_21``, ...), every class a thing; its entries carry
      the synonyms (FC-CLIP's prompt-engineered names) and its first names are the data sets' class names;

    and any dict form may add ``synonyms=dict(name=[...])``.
    """
    if spec is None or isinstance(spec, Vocabulary):
        return spec
    if isinstance(spec, str):
        spec = dict(classes_file=spec)
    elif not isinstance(spec, dict):
        spec = dict(classes=list(spec))
    spec = {k: v for k, v in dict(spec).items() if v is not None}
    synonyms = spec.pop('synonyms', {})
    things, stuff = [], []
    dataset = spec.pop('dataset', None)
    if dataset:
        meta = dataset_metainfo(dataset)
        if 'thing_classes' in meta and 'stuff_classes' in meta:
            things, stuff = list(meta['thing_classes']), list(meta['stuff_classes'])
        else:
            things = list(meta['classes'])
    class_list = spec.pop('class_list', None)
    if class_list:
        things += read_class_list(class_list)
    things += list(spec.pop('thing_classes', [])) + list(spec.pop('classes', []))
    stuff += list(spec.pop('stuff_classes', []))
    for key, target in (('thing_classes_file', things), ('classes_file', things), ('stuff_classes_file', stuff)):
        if key in spec:
            target += read_class_file(spec.pop(key))
    if spec:
        raise KeyError(f'vocabulary: unknown keys {sorted(spec)}; use classes / thing_classes / stuff_classes, their '
                       f'*_file forms, class_list or dataset, and synonyms')
    entries = _entries(things, 'thing_classes') + _entries(stuff, 'stuff_classes')
    if not entries:
        raise ValueError('vocabulary: no classes given')
    extra = {name_key(k): v for k, v in synonyms.items()}
    entries = [syns + tuple(s for s in map(clean_class_name, extra.get(name_key(syns[0]), [])) if s not in syns)
               for syns in entries]
    vocab = Vocabulary(tuple(entries), len(things))
    for first, repeat in vocab.duplicates():
        msg = (f'vocabulary: class {repeat} ({vocab.names[repeat]!r}) repeats class {first}; two classes with one '
               f'text embedding make the argmax between them arbitrary')
        if not dataset:
            raise ValueError(f'{msg}. Give each class once (synonyms with "|")')
        # a published class list (ImageNet's two "crane"s) is kept as it is, with a warning
        print_log(f'{msg} ({dataset}). To tell them apart, list the classes yourself with distinguishing names',
                  logger='current', level=logging.WARNING)
    return vocab
