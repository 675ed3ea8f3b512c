"""OpenAI's ImageNet zero-shot prompts (80 templates) and its curated ImageNet class names, taken from mmpretrain
(``mmpretrain.models.multimodal.clip.utils.OPENAI_IMAGENET_PROMPT`` and
``mmpretrain.datasets.categories.IMAGENET_SIMPLE_CATEGORIES``, the lists CLIP's paper and open_clip use).

Configs name them by preset (a config cannot hold mmpretrain's lambdas): ``templates='openai_imagenet'``,
``vocab='openai_imagenet'``. mmpretrain is imported on first use only.
"""
from typing import Tuple, Union

from .vocabulary import Vocabulary


def openai_imagenet_templates() -> Tuple[str, ...]:
    """The 80 prompt templates of CLIP's ImageNet evaluation, each with one ``{}``."""
    from mmpretrain.models.multimodal.clip.utils import OPENAI_IMAGENET_PROMPT
    return tuple(prompt('{}') for prompt in OPENAI_IMAGENET_PROMPT)


def openai_imagenet_vocabulary() -> Vocabulary:
    """ImageNet-1k's classes under CLIP's curated names, in label order, kept exactly as published (hyphens, and
    the two names it repeats, "missile" and "sunglasses")."""
    from mmpretrain.datasets.categories import IMAGENET_SIMPLE_CATEGORIES
    return Vocabulary(tuple((name, ) for name in IMAGENET_SIMPLE_CATEGORIES), len(IMAGENET_SIMPLE_CATEGORIES))


TEMPLATE_PRESETS = dict(openai_imagenet=openai_imagenet_templates)
VOCABULARY_PRESETS = dict(openai_imagenet=openai_imagenet_vocabulary)


def resolve_templates(templates: Union[str, tuple, list]):
    """A preset name (``'openai_imagenet'``) -> its templates; anything else is returned unchanged."""
    if isinstance(templates, str) and templates in TEMPLATE_PRESETS:
        return TEMPLATE_PRESETS[templates]()
    return templates


def resolve_vocabulary(spec):
    """A preset name (``'openai_imagenet'``) -> its :class:`Vocabulary`; anything else (a spec for
    :func:`~umgclip_mm.vocabulary.build_vocabulary`) is returned unchanged."""
    if isinstance(spec, str) and spec in VOCABULARY_PRESETS:
        return VOCABULARY_PRESETS[spec]()
    return spec
