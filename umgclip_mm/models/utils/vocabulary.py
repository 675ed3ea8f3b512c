"""Open-vocabulary class lists: parsing, synonyms, prompt templates, and which test classes were seen in training."""
import os.path as osp
import re
from dataclasses import dataclass
from typing import List, Optional, Sequence, Union

# Prompt templates averaged per class (a subset of CLIP's ImageNet prompts, as ViLD / FC-CLIP use for segmentation).
DEFAULT_TEMPLATES = (
    'a photo of a {}.', 'a photo of the {}.', 'a photo of many {}.', 'a good photo of a {}.',
    'a cropped photo of a {}.', 'a close-up photo of the {}.', 'a bright photo of the {}.', 'a dark photo of the {}.',
    'this is a photo of a {}.', 'there is a {} in the scene.', 'there is the {} in the scene.',
    'itap of a {}.', 'a photo of a small {}.', 'a photo of a large {}.')


def clean_class_name(name: str) -> str:
    """A class name as words: COCO panoptic's ``wall-other-merged`` -> ``wall``, ``sky-other`` -> ``sky``,
    ``dining table`` / ``dining_table`` -> ``dining table``."""
    name = re.sub(r'-(merged|other|stuff)\b', '', name.strip())
    return re.sub(r'[-_]+', ' ', name).strip()


@dataclass
class Vocabulary:
    """Classes as lists of synonyms (the first is the display name), things first.

    Attributes:
        synonyms (list[list[str]]): Per class, the names its text embedding averages over.
        num_things (int): The first ``num_things`` classes are things, the rest stuff.
    """
    synonyms: List[List[str]]
    num_things: int

    @property
    def names(self) -> List[str]:
        """Display names."""
        return [s[0] for s in self.synonyms]

    @property
    def thing_classes(self) -> List[str]:
        return self.names[:self.num_things]

    @property
    def stuff_classes(self) -> List[str]:
        return self.names[self.num_things:]

    def __len__(self) -> int:
        return len(self.synonyms)

    def seen_mask(self, seen: 'Vocabulary') -> List[bool]:
        """Whether each class of this vocabulary was in ``seen`` (a class matches when any of its cleaned,
        lower-cased synonyms is one of ``seen``'s)."""
        known = {clean_class_name(n).lower() for syns in seen.synonyms for n in syns}
        return [any(clean_class_name(n).lower() in known for n in syns) for syns in self.synonyms]


def _entries(values: Union[str, Sequence[str]], where: str) -> List[List[str]]:
    """``'cat|kitty'`` -> ``['cat', 'kitty']``; class names are cleaned (see :func:`clean_class_name`)."""
    if isinstance(values, str):
        values = [values]
    out = []
    for v in values:
        if not isinstance(v, str):
            raise TypeError(f'{where}: class names must be strings, got {v!r}')
        syns = [clean_class_name(s) for s in v.split('|') if clean_class_name(s)]
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


def build_vocabulary(spec: Union[dict, 'Vocabulary', None]) -> Optional[Vocabulary]:
    """Build a :class:`Vocabulary` from a config.

    ``spec`` is one of:

    - ``dict(thing_classes=[...], stuff_classes=[...])``; each entry ``'name'`` or ``'name|synonym|...'``;
    - ``dict(thing_classes_file=..., stuff_classes_file=...)``: the same, one class per line (either may be absent);
    - ``dict(dataset='mmdet.CocoPanopticDataset')``: the ``METAINFO`` thing and stuff classes of a registered data
      set (COCO panoptic's 133, ADE20K panoptic's 150), optionally with ``synonyms=dict(name=[...])`` added.
    """
    if spec is None or isinstance(spec, Vocabulary):
        return spec
    spec = dict(spec)
    synonyms = spec.pop('synonyms', None) or {}
    if 'dataset' in spec:
        from mmdet.registry import DATASETS
        name = spec.pop('dataset')
        cls = DATASETS.get(name)
        if cls is None:
            raise KeyError(f'vocabulary: no data set type {name!r} is registered (e.g. "mmdet.CocoPanopticDataset")')
        things, stuff = list(cls.METAINFO['thing_classes']), list(cls.METAINFO['stuff_classes'])
    else:
        things = list(spec.pop('thing_classes', []))
        stuff = list(spec.pop('stuff_classes', []))
        if spec.get('thing_classes_file'):
            things += read_class_file(spec.pop('thing_classes_file'))
        if spec.get('stuff_classes_file'):
            stuff += read_class_file(spec.pop('stuff_classes_file'))
    spec = {k: v for k, v in spec.items() if v is not None}
    if spec:
        raise KeyError(f'vocabulary: unknown keys {sorted(spec)}; use thing_classes / stuff_classes, their *_file '
                       f'forms, or dataset, and synonyms')
    entries = _entries(things, 'thing_classes') + _entries(stuff, 'stuff_classes')
    if not entries:
        raise ValueError('vocabulary: no classes given')
    for syns in entries:
        syns += [clean_class_name(s) for s in synonyms.get(syns[0], []) if clean_class_name(s) not in syns]
    return Vocabulary(entries, len(things))
