"""OVMask2Former: open-vocabulary panoptic segmentation on a frozen UMG-CLIP, with mmdet's Mask2Former parts."""
import copy
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from mmdet.models.detectors import MaskFormer
from mmdet.models.detectors.base import BaseDetector
from mmengine.logging import print_log
from mmengine.registry import DefaultScope
from torch import Tensor

from umgclip_mm.registry import MODELS

from ..utils.ov_ensemble import geometric_ensemble
from ..utils.vocabulary import DEFAULT_TEMPLATES, Vocabulary, build_vocabulary


@MODELS.register_module()
class OVMask2Former(MaskFormer):
    """Mask2Former on a frozen UMG-CLIP, classifying masks by text: open-vocabulary panoptic segmentation.

    - The UMG-CLIP model (image and text towers) is frozen and stays in eval mode. Its image tower's feature maps
      go through ``neck`` (e.g. mmseg's ``MultiLevelNeck``: ViT features to a 4-level pyramid) into mmdet's
      Mask2Former pixel decoder and masked-attention decoder (``panoptic_head``, an :class:`OVMask2FormerHead`).
      Only the neck and the head train.
    - Classes are text: each class's embedding is the mean over prompt ``templates`` and its synonyms of the frozen
      text tower's embeddings, computed once per vocabulary and cached in non-persistent buffers (recomputed after
      weights are loaded, never saved).
    - ``train_vocab`` is what the head is trained on; ``test_vocab`` (default: the same) is what ``predict``
      segments. A checkpoint has no vocabulary-sized parameter, so switching the test vocabulary (and the data set)
      is all it takes to evaluate COCO-trained weights on ADE20K.
    - Out-of-vocabulary branch (``predict`` only, FC-CLIP): every predicted mask pools the frozen tower's dense
      features (:meth:`UMGCLIP.pool`, i.e. ``encode_masks`` without a second pass) and is classified by the frozen
      model; the two class distributions are combined by :func:`geometric_ensemble` with ``alpha`` for classes of
      ``train_vocab`` and ``beta`` for the others.

    Args:
        clip (dict): Config of the :class:`UMGCLIP` model (towers, and its ``init_cfg`` to load pretrained
            weights).
        panoptic_head (dict): Config of :class:`OVMask2FormerHead`; ``embed_dims`` and the class counts are filled in.
        panoptic_fusion_head (dict): Config of mmdet's ``MaskFormerFusionHead``; class counts are filled in.
        train_vocab (dict): Vocabulary spec (see :func:`build_vocabulary`) of the training data set.
        test_vocab (dict, optional): Vocabulary spec of the evaluation data set (default: ``train_vocab``).
        neck (dict, optional): Neck config; an absent ``in_channels`` becomes the tower width per feature map.
        templates (Sequence[str]): Prompt templates with one ``{}``.
        ensemble (dict, optional): ``dict(alpha=0.4, beta=0.8)`` turns the out-of-vocabulary branch on;
            ``None`` turns it off.
        train_cfg, test_cfg (dict, optional): Mask2Former's (assigner, sampler, points; panoptic post-processing).
        data_preprocessor (dict, optional): mmdet's ``DetDataPreprocessor`` config (CLIP mean and std).
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 clip: dict,
                 panoptic_head: dict,
                 panoptic_fusion_head: dict,
                 train_vocab: dict,
                 test_vocab: Optional[dict] = None,
                 neck: Optional[dict] = None,
                 templates: Sequence[str] = DEFAULT_TEMPLATES,
                 ensemble: Optional[dict] = dict(alpha=0.4, beta=0.8),
                 train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        BaseDetector.__init__(self, data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.clip = MODELS.build(clip)
        self.clip.requires_grad_(False)
        self.clip.eval()
        self.templates = tuple(templates)
        if not self.templates or any('{}' not in t for t in self.templates):
            raise ValueError(f'every prompt template needs one "{{}}" for the class name, got {self.templates}')
        self.ensemble = dict(ensemble) if ensemble else None
        self.train_vocab = build_vocabulary(train_vocab)
        self.test_vocab = build_vocabulary(test_vocab) or self.train_vocab

        # mmdet's parts build their children by unprefixed mmdet names, so they are built in mmdet's scope whatever
        # the caller's default scope is.
        with DefaultScope.overwrite_default_scope('mmdet'):
            if neck is not None:
                neck = copy.deepcopy(dict(neck))
                neck.setdefault('in_channels',
                                [self.clip.backbone.embed_dims] * len(self.clip.backbone.out_indices))
                self.neck = MODELS.build(neck)
            head = copy.deepcopy(dict(panoptic_head))
            head.update(embed_dims=self.clip.embed_dims, num_things_classes=self.train_vocab.num_things,
                        num_stuff_classes=len(self.train_vocab) - self.train_vocab.num_things, train_cfg=train_cfg,
                        test_cfg=test_cfg)
            self.panoptic_head = MODELS.build(head)
            fusion = copy.deepcopy(dict(panoptic_fusion_head))
            fusion.update(num_things_classes=self.test_vocab.num_things,
                          num_stuff_classes=len(self.test_vocab) - self.test_vocab.num_things, test_cfg=test_cfg)
            self.panoptic_fusion_head = MODELS.build(fusion)
        self.train_cfg = train_cfg
        self.test_cfg = test_cfg

        D = self.clip.embed_dims
        self.register_buffer('train_class_embeds', torch.zeros(len(self.train_vocab), D), persistent=False)
        self.register_buffer('test_class_embeds', torch.zeros(len(self.test_vocab), D), persistent=False)
        self._cached = set()  # which of 'train' / 'test' hold the current towers' embeddings
        self._active = None  # which vocabulary the head classifies against
        self.register_load_state_dict_post_hook(lambda module, keys: module._forget_vocab_cache())
        trainable, total = self.parameter_counts()
        print_log(f'OVMask2Former: {trainable / 1e6:.2f}M of {total / 1e6:.2f}M parameters train '
                  f'({100.0 * trainable / max(total, 1):.2f}%); the UMG-CLIP towers are frozen', logger='current')

    # ------------------------------------------------------------------ bookkeeping
    @property
    def num_things_classes(self) -> int:
        return self.panoptic_head.num_things_classes

    @property
    def num_classes(self) -> int:
        return self.panoptic_head.num_classes

    def parameter_counts(self) -> Tuple[int, int]:
        """``(trainable, total)`` parameter counts."""
        params = list(self.parameters())
        return sum(p.numel() for p in params if p.requires_grad), sum(p.numel() for p in params)

    def train(self, mode: bool = True) -> 'OVMask2Former':
        """Set train mode; the frozen UMG-CLIP stays in eval mode."""
        super().train(mode)
        self.clip.eval()
        return self

    def init_weights(self) -> None:
        """Initialise (loading the UMG-CLIP checkpoint if configured); cached text embeddings are recomputed."""
        super().init_weights()
        self._forget_vocab_cache()

    def _forget_vocab_cache(self) -> None:
        self._cached = set()
        self._active = None

    # ------------------------------------------------------------------ vocabulary
    @torch.no_grad()
    def class_embeddings(self, vocab: Vocabulary, batch_size: int = 256) -> Tensor:
        """L2-normalised ``[C, D]``: per class, the mean over templates and synonyms of the prompt embeddings."""
        prompts, owner = [], []
        for c, syns in enumerate(vocab.synonyms):
            for name in syns:
                for t in self.templates:
                    prompts.append(t.format(name))
                    owner.append(c)
        embeds = torch.cat([self.clip.encode_text(prompts[i:i + batch_size])
                            for i in range(0, len(prompts), batch_size)])
        owner = torch.tensor(owner, device=embeds.device)
        sums = torch.zeros(len(vocab), embeds.shape[1], device=embeds.device, dtype=embeds.dtype)
        sums.index_add_(0, owner, embeds)
        return F.normalize(sums, dim=-1)

    def set_test_vocabulary(self, vocab: Union[dict, Vocabulary]) -> None:
        """Segment with another vocabulary from now on (e.g. the demo's ``--vocab``)."""
        self.test_vocab = build_vocabulary(vocab)
        self.test_class_embeds = self.test_class_embeds.new_zeros(len(self.test_vocab), self.clip.embed_dims)
        self._cached.discard('test')
        if self._active == 'test':
            self._active = None

    def _activate(self, which: str) -> None:
        """Point the head (and fusion head) at the ``'train'`` or ``'test'`` vocabulary, computing its embeddings
        the first time."""
        vocab = self.train_vocab if which == 'train' else self.test_vocab
        buf = getattr(self, f'{which}_class_embeds')
        if which not in self._cached:
            buf.copy_(self.class_embeddings(vocab).to(buf))  # in place: DDP-registered buffers stay the same
            self._cached.add(which)
        if self._active != which:
            self.panoptic_head.set_vocabulary(buf, vocab.num_things)
            fusion = self.panoptic_fusion_head
            fusion.num_things_classes = vocab.num_things
            fusion.num_stuff_classes = len(vocab) - vocab.num_things
            fusion.num_classes = len(vocab)
            self._active = which

    # ------------------------------------------------------------------ forward
    def _clip_features(self, inputs: Tensor, with_dense: bool) -> dict:
        with torch.no_grad():
            return self.clip.backbone.forward_features(inputs, with_dense=with_dense)

    def _pyramid(self, clip_feats: dict) -> Tuple[Tensor, ...]:
        maps = clip_feats['feature_maps']
        return tuple(self.neck(maps)) if self.with_neck else tuple(maps)

    def extract_feat(self, inputs: Tensor) -> Tuple[Tensor, ...]:
        """The neck's pyramid of the frozen tower's feature maps."""
        return self._pyramid(self._clip_features(inputs, with_dense=False))

    def loss(self, batch_inputs: Tensor, batch_data_samples: List) -> Dict[str, Tensor]:
        """Mask2Former's losses against the training vocabulary."""
        self._activate('train')
        return self.panoptic_head.loss(self.extract_feat(batch_inputs), batch_data_samples)

    def predict(self, batch_inputs: Tensor, batch_data_samples: List, rescale: bool = True) -> List:
        """Panoptic (and, per ``test_cfg``, instance) results in the test vocabulary; with ``ensemble`` set, class
        scores combine the head's and the frozen UMG-CLIP's (see the class docstring)."""
        self._activate('test')
        clip_feats = self._clip_features(batch_inputs, with_dense=self.ensemble is not None)
        mask_cls, mask_pred = self.panoptic_head.predict(self._pyramid(clip_feats), batch_data_samples)
        if self.ensemble is not None:
            mask_cls = self.ensemble_scores(clip_feats, mask_cls, mask_pred)
        results = self.panoptic_fusion_head.predict(mask_cls, mask_pred, batch_data_samples, rescale=rescale)
        return self.add_pred_to_datasample(batch_data_samples, results)

    def oov_logits(self, clip_feats: dict, mask_pred: Tensor) -> Tuple[Tensor, Tensor]:
        """The frozen model's class logits ``[B, Q, C]`` of predicted masks ``[B, Q, H, W]`` (logits; a mask is
        where they are positive), and whether each mask covered any feature cell ``[B, Q]``."""
        B, Q = mask_pred.shape[:2]
        masks = [(m > 0).to(clip_feats['dense_tokens'].dtype) for m in mask_pred]
        embeds, covered = self.clip.pool('mask', clip_feats, masks)
        logits = self.clip.get_logit_scale() * embeds @ self.test_class_embeds.to(embeds).t()
        return logits.view(B, Q, -1), covered.view(B, Q)

    def ensemble_scores(self, clip_feats: dict, mask_cls: Tensor, mask_pred: Tensor) -> Tensor:
        """:func:`geometric_ensemble` of the head's ``mask_cls`` and :meth:`oov_logits`."""
        oov, covered = self.oov_logits(clip_feats, mask_pred)
        seen = torch.tensor(self.test_vocab.seen_mask(self.train_vocab), device=mask_cls.device)
        return geometric_ensemble(mask_cls, oov, seen, self.ensemble['alpha'], self.ensemble['beta'], covered)

    def _forward(self, batch_inputs: Tensor, batch_data_samples: Optional[List] = None) -> Tuple[List[Tensor]]:
        """``tensor`` mode: the head's per-layer class logits and mask logits (test vocabulary)."""
        self._activate('test')
        return self.panoptic_head.forward(self.extract_feat(batch_inputs), batch_data_samples)
