"""OpenVocabMixin: what every open-vocabulary task model shares (frozen UMG-CLIP, vocabularies, text classifier
weights, the ensemble)."""
import copy
import warnings
from typing import Optional, Tuple

import torch
from mmengine.registry import DefaultScope
from torch import Tensor

from umgclip_mm.registry import MODELS
from umgclip_mm.vocabulary import Vocabulary, build_vocabulary

from .frozen_clip_mixin import FrozenCLIPMixin


def with_default_type(cfg: Optional[dict], default: str) -> dict:
    """A component config whose ``type`` defaults to ``default`` (so ``dict(alpha=0.5)`` or a ``--cfg-options``
    override of one argument keeps the component)."""
    return {'type': default, **(cfg or {})}


class OpenVocabMixin(FrozenCLIPMixin):
    """Mixed into a toolbox task model (mmdet ``MaskFormer``, mmseg segmentors, mmdet detectors, mmpretrain
    classifiers) to make it open-vocabulary with a frozen UMG-CLIP. A task model adds only its head and its
    post-processing; it calls :meth:`init_open_vocab` in its constructor and implements :meth:`use_vocabulary`.

    Switching the vocabulary has one public verb, :meth:`set_vocabulary` (what a user calls), and one internal
    one, ``use_vocabulary(vocab, class_embeds)``: the model, and each of its parts that depends on the vocabulary
    (heads, fusion head, :class:`TextEmbeddingClassifier`), receives the vocabulary and its class embeddings
    through it whenever the model switches between its training and test vocabularies.

    - ``clip``: the whole :class:`UMGCLIP` (image and text towers), frozen and kept in eval mode
      (:class:`FrozenCLIPMixin`).
    - ``train_vocab`` / ``test_vocab``: :class:`~umgclip_mm.vocabulary.Vocabulary` of training and prediction;
      :meth:`set_vocabulary` switches the latter at any time (a checkpoint has no vocabulary-sized weight).
    - ``vocab_encoder``: the shared :class:`VocabularyEncoder` (class embeddings, cached).
    - ``ensemble``: the shared :class:`OOVEnsemble`, or ``None`` (ensemble off).
    - ``neck`` (optional, :meth:`init_neck`): the frozen tower's feature maps to the pyramid the head reads
      (:meth:`pyramid`).
    """

    def init_open_vocab(self, clip: dict, train_vocab, test_vocab=None, vocab_encoder: Optional[dict] = None,
                        ensemble: Optional[dict] = None) -> None:
        """Build the shared parts (call after ``nn.Module.__init__``).

        Args:
            clip (dict): Config of the :class:`UMGCLIP` model (its ``init_cfg`` loads pretrained weights).
            train_vocab: Vocabulary spec (see :func:`build_vocabulary`) the head is trained on.
            test_vocab (optional): Vocabulary spec of prediction (default: ``train_vocab``).
            vocab_encoder (dict, optional): :class:`VocabularyEncoder` config (templates, cache_dir); the type
                defaults to it.
            ensemble (dict, optional): :class:`OOVEnsemble` config (alpha, beta), the type defaulting to it; ``None``
                turns the ensemble off.
        """
        self.init_frozen_clip(clip)
        self.vocab_encoder = MODELS.build(with_default_type(vocab_encoder, 'umgclip_mm.VocabularyEncoder'))
        self.ensemble = None if ensemble is None else MODELS.build(with_default_type(ensemble, 'umgclip_mm.OOVEnsemble'))
        self.train_vocab = build_vocabulary(train_vocab)
        if self.train_vocab is None:
            raise ValueError(f'{type(self).__name__} needs train_vocab, the classes it is trained on')
        self.test_vocab = build_vocabulary(test_vocab) or self.train_vocab
        self._active = (None, None)

    def init_neck(self, neck: Optional[dict]) -> None:
        """Build ``neck`` (e.g. ``mmseg.MultiLevelNeck``, ``umgclip_mm.ViTPyramidNeck``) on the frozen tower's
        feature maps, in mmdet's scope like the heads; an absent ``in_channels`` becomes the tower width per map.
        ``None``: the head reads the feature maps themselves."""
        if neck is None:
            return
        tower = self.clip.backbone
        neck = copy.deepcopy(dict(neck))
        neck.setdefault('in_channels', [tower.embed_dims] * len(tower.out_indices))
        with DefaultScope.overwrite_default_scope('mmdet'):
            self.neck = MODELS.build(neck)

    def pyramid(self, clip_feats: dict) -> Tuple[Tensor, ...]:
        """The neck's outputs on :meth:`clip_features`' ``feature_maps`` (the maps themselves without a neck)."""
        maps = clip_feats['feature_maps']
        return tuple(self.neck(maps)) if getattr(self, 'neck', None) is not None else tuple(maps)

    def set_vocabulary(self, vocab) -> None:
        """Predict with another vocabulary from now on (e.g. the demo's ``--texts``).

        Args:
            vocab: Vocabulary spec (:func:`~umgclip_mm.vocabulary.build_vocabulary`): a list of class names, a
                ``dict(thing_classes=..., stuff_classes=...)``, a class file or a :class:`Vocabulary`.
        """
        self.test_vocab = build_vocabulary(vocab)
        if self._active[0] == 'test':
            self._active = (None, None)

    def set_test_vocabulary(self, vocab) -> None:
        """Deprecated name of :meth:`set_vocabulary` (warns)."""
        warnings.warn('set_test_vocabulary() is deprecated: call set_vocabulary(vocab)', DeprecationWarning,
                      stacklevel=2)
        self.set_vocabulary(vocab)

    def class_embeds(self, which: str = 'test') -> Tensor:
        """``[C, D]`` class embeddings of the ``'train'`` or ``'test'`` vocabulary (cached by the encoder)."""
        return self.vocab_encoder(self.clip, self.train_vocab if which == 'train' else self.test_vocab)

    def _switch_vocabulary(self, which: str) -> Tensor:
        """Make the ``'train'`` or ``'test'`` vocabulary the one the head classifies against; calls
        :meth:`use_vocabulary` when the vocabulary or its embeddings (new weights) changed. Returns the embeddings."""
        embeds = self.class_embeds(which)
        if self._active[0] != which or self._active[1] is not embeds:
            self.use_vocabulary(self.train_vocab if which == 'train' else self.test_vocab, embeds)
            self._active = (which, embeds)
        return embeds

    def use_vocabulary(self, vocab: Vocabulary, class_embeds: Tensor) -> None:
        """Internal: hand ``vocab`` and its ``class_embeds`` ``[C, D]`` to the parts that depend on them (each
        part's own ``use_vocabulary(vocab, class_embeds)``)."""
        raise NotImplementedError

    def seen_classes(self) -> Tensor:
        """``[C]`` bool: which test-vocabulary classes the training vocabulary has."""
        return torch.tensor(self.test_vocab.seen_mask(self.train_vocab))

    def apply_ensemble(self, feats: dict, level: str, items, in_vocab_logits: Tensor) -> Tensor:
        """The head's logits (test vocabulary) ensembled with the frozen model's scores of the same ``items``
        (see :class:`OOVEnsemble`); unchanged when the ensemble is off."""
        if self.ensemble is None:
            return in_vocab_logits
        return self.ensemble(self.clip, feats, level, items, in_vocab_logits, self.class_embeds('test'),
                             self.seen_classes())
