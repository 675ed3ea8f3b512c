"""UMGCLIP: the UMG-CLIP model, text aligned with the whole image, its regions and its pixels."""
import math
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModel

from umgclip_mm.registry import MODELS

# CLIP's normalisation in 0-255 pixel units (OpenAI: mean 0.48145466 0.4578275 0.40821073,
# std 0.26862954 0.26130258 0.27577711), RGB order.
CLIP_MEAN = [122.770938, 116.7460125, 104.09373615]
CLIP_STD = [68.5005327, 66.6321579, 70.32316305]
LEVELS = ('image', 'region', 'mask')


def default_data_preprocessor() -> dict:
    """CLIP's mean/std, BGR (mmcv's loading order) to RGB."""
    return dict(type='ImgDataPreprocessor', mean=CLIP_MEAN, std=CLIP_STD, bgr_to_rgb=True)


@MODELS.register_module()
class UMGCLIP(BaseModel):
    """The UMG-CLIP model: a CLIP image tower and text tower sharing one joint space, aligned at three granularities.

    Every ``encode_*`` method returns L2-normalised embeddings in the joint space. Regions are pooled from the image
    tower's last-block patch tokens by RoIAlign, masks by mask pooling, and both pass through the same final norm
    and projection as the class token. ``loss`` mode sums six terms, each a loss config with its ``loss_weight``:
    image/region/mask embeddings against their sampled caption (symmetric InfoNCE over the global batch, all ranks)
    and against their tags (multi-label over the batch's tag vocabulary, every tag encoded by the text tower). Each
    distinct string of a step is encoded once. A term with ``loss_weight=0`` is skipped entirely.

    Data samples carry (see ``PackUMGInputs``): ``caption``, ``tags``, ``region_boxes``, ``region_caption``,
    ``region_tags``, ``masks``, ``mask_caption``, ``mask_tags``; any of them may be missing or empty.

    Args:
        backbone (dict): Config of the image tower (``UMGCLIPViT``).
        text_encoder (dict): Config of the text tower (``UMGCLIPTextEncoder``).
        region_pooler (dict, optional): Default ``RoIAlignRegionPooler``.
        mask_pooler (dict, optional): Default ``MaskPooler``.
        logit_scale_init (float): Initial ``logit_scale`` (CLIP: ``log(1 / 0.07)``).
        max_logit_scale (float): Upper clamp of ``exp(logit_scale)`` (CLIP: 100).
        loss_image_caption, loss_region_caption, loss_mask_caption (dict, optional): Default ``ContrastiveLoss``.
        loss_image_tag, loss_region_tag, loss_mask_tag (dict, optional): Default ``MultiLabelTagLoss``. A config
            without ``type`` (e.g. ``dict(loss_weight=0)``) keeps the default loss with those arguments.
        data_preprocessor (dict, optional): Default: mmengine's ``ImgDataPreprocessor`` with CLIP's mean/std.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 backbone: dict,
                 text_encoder: dict,
                 region_pooler: Optional[dict] = None,
                 mask_pooler: Optional[dict] = None,
                 logit_scale_init: float = math.log(1 / 0.07),
                 max_logit_scale: float = 100.0,
                 loss_image_caption: Optional[dict] = None,
                 loss_image_tag: Optional[dict] = None,
                 loss_region_caption: Optional[dict] = None,
                 loss_region_tag: Optional[dict] = None,
                 loss_mask_caption: Optional[dict] = None,
                 loss_mask_tag: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(data_preprocessor=data_preprocessor or default_data_preprocessor(), init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.text_encoder = MODELS.build(text_encoder)
        if self.backbone.output_dims != self.text_encoder.output_dims:
            raise ValueError(f'the image tower projects to {self.backbone.output_dims} dims but the text tower to '
                             f'{self.text_encoder.output_dims}: output_dims must agree')
        self.region_pooler = MODELS.build(region_pooler or dict(type='umgclip_mm.RoIAlignRegionPooler'))
        self.mask_pooler = MODELS.build(mask_pooler or dict(type='umgclip_mm.MaskPooler'))
        self.logit_scale = nn.Parameter(torch.tensor(float(logit_scale_init)))
        self.max_logit_scale = max_logit_scale
        given = dict(image_caption=loss_image_caption, image_tag=loss_image_tag, region_caption=loss_region_caption,
                     region_tag=loss_region_tag, mask_caption=loss_mask_caption, mask_tag=loss_mask_tag)
        # A partial loss config (e.g. only ``loss_weight`` from ``--cfg-options``) keeps the default type.
        self.losses = nn.ModuleDict({
            name: MODELS.build({'type': 'umgclip_mm.ContrastiveLoss' if name.endswith('caption') else
                                'umgclip_mm.MultiLabelTagLoss', **(cfg or {})})
            for name, cfg in given.items()
        })

    @property
    def embed_dims(self) -> int:
        """Width of the joint space."""
        return self.backbone.output_dims

    def get_logit_scale(self) -> torch.Tensor:
        """``exp(logit_scale)`` clamped at ``max_logit_scale``."""
        return self.logit_scale.exp().clamp(max=self.max_logit_scale)

    # ------------------------------------------------------------------ the public encode_* contract
    def encode_image(self, inputs: torch.Tensor) -> torch.Tensor:
        """Global embeddings ``[B, D]`` of images ``[B, 3, H, W]`` normalised with CLIP's mean/std."""
        return F.normalize(self.backbone.forward_features(inputs, with_dense=False)['global_embeds'], dim=-1)

    def encode_dense(self, inputs: torch.Tensor) -> torch.Tensor:
        """Per-patch embeddings ``[B, D, h, w]`` in the joint space, L2-normalised along ``D``."""
        return F.normalize(self.backbone.forward_features(inputs)['dense_proj'], dim=1)

    def encode_text(self, texts: Sequence[str]) -> torch.Tensor:
        """Embeddings ``[N, D]`` of a list of strings."""
        if isinstance(texts, str):
            raise TypeError('encode_text takes a list of strings, not one string')
        return F.normalize(self.text_encoder.encode(list(texts)), dim=-1)

    def encode_regions(self, inputs: torch.Tensor, boxes: List[torch.Tensor]) -> List[torch.Tensor]:
        """Embeddings of boxes: per image ``[K_i, 4]`` xyxy in input pixels -> list of ``[K_i, D]``."""
        feats = self.backbone.forward_features(inputs)
        return list(self.pool('region', feats, boxes)[0].split([len(b) for b in boxes]))

    def encode_masks(self, inputs: torch.Tensor, masks: List[torch.Tensor]) -> List[torch.Tensor]:
        """Embeddings of masks: per image ``[K_i, H, W]`` (any resolution, covering the input) -> ``[K_i, D]``."""
        feats = self.backbone.forward_features(inputs)
        return list(self.pool('mask', feats, masks)[0].split([len(m) for m in masks]))

    def pool(self, level: str, feats: dict,
             items: List[Optional[torch.Tensor]]) -> Tuple[torch.Tensor, torch.Tensor]:
        """Normalised embeddings ``[sum K_i, D]`` of boxes (``level='region'``, per image ``[K_i, 4]``) or masks
        (``'mask'``, per image ``[K_i, H, W]``; ``None``: an image without any) from the output of one
        ``backbone.forward_features`` pass, and whether each saw any valid token. ``encode_regions`` and
        ``encode_masks`` without a second pass through the tower."""
        tokens = feats['dense_tokens']
        empty = tokens.new_zeros((0, 4) if level == 'region' else (0, 1, 1))
        items = [empty if x is None else x.to(tokens.device) for x in items]
        if level == 'region':
            pooled, cover = self.region_pooler(feats['dense_tokens'], items, self.backbone.patch_size,
                                               feats['valid'])
        else:
            pooled, cover = self.mask_pooler(feats['dense_tokens'], items, feats['valid'])
        return F.normalize(self.backbone.project(pooled), dim=-1), cover > 0

    # ------------------------------------------------------------------ forward modes
    def forward(self,
                inputs: torch.Tensor,
                data_samples: Optional[List] = None,
                mode: str = 'tensor') -> Union[Dict[str, torch.Tensor], List, torch.Tensor]:
        """The three mmengine modes.

        Args:
            inputs (Tensor): Preprocessed images ``[B, 3, H, W]``.
            data_samples (list, optional): One data element per image (fields as in the class docstring).
            mode (str): ``'loss'`` returns a dict of losses; ``'predict'`` returns the data samples with
                embeddings set (see :meth:`predict`); ``'tensor'`` returns the image embeddings ``[B, D]``.
        """
        if mode == 'tensor':
            return self.encode_image(inputs)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        raise ValueError(f"mode must be 'loss', 'predict' or 'tensor', got {mode!r}")

    @staticmethod
    def _items(sample, level: str):
        """``(items, captions, tags)`` of one sample at one level (images: one item, the image itself)."""
        if level == 'image':
            caption = sample.get('caption', '')
            if caption is not None and not isinstance(caption, str):
                raise TypeError(f'data sample field "caption" must be a string, got {type(caption).__name__}')
            return None, [caption or ''], [list(sample.get('tags', []) or [])]
        key = 'region_boxes' if level == 'region' else 'masks'
        items = sample.get(key)
        n = 0 if items is None else len(items)
        caps = list(sample.get(f'{level}_caption', []) or [])
        tags = list(sample.get(f'{level}_tags', []) or [])
        if len(caps) != n or len(tags) not in (0, n):
            raise ValueError(f'data sample {sample.metainfo.get("source", "")}: {n} {level}s but {len(caps)} '
                             f'captions and {len(tags)} tag lists')
        return items, caps, tags or [[] for _ in range(n)]

    def _text_table(self, data_samples: List, levels: Sequence[str]):
        """Encode every distinct caption and tag of the batch once. Returns (index of each string, embeddings,
        tag vocabulary as row indices into the embeddings)."""
        texts, tag_set = {}, {}
        for sample in data_samples:
            for level in levels:
                _, caps, tags = self._items(sample, level)
                for c in caps:
                    if c:
                        texts.setdefault(c, len(texts))
                for ts in tags:
                    for t in ts:
                        if t:
                            texts.setdefault(t, len(texts))
                            tag_set.setdefault(t, len(tag_set))
        embeds = self.encode_text(list(texts)) if texts else self.logit_scale.new_zeros(0, self.embed_dims)
        return texts, embeds, tag_set

    def active_levels(self) -> List[str]:
        """Levels with at least one non-zero loss weight."""
        return [lv for lv in LEVELS
                if any(self.losses[f'{lv}_{kind}'].loss_weight != 0 for kind in ('caption', 'tag'))]

    def loss(self, inputs: torch.Tensor, data_samples: List) -> Dict[str, torch.Tensor]:
        """The six UMG-CLIP terms (and ``logit_scale`` for the log)."""
        levels = self.active_levels()
        feats = self.backbone.forward_features(inputs, with_dense=bool(set(levels) - {'image'}))
        scale = self.get_logit_scale()
        texts, text_embeds, tag_set = self._text_table(data_samples, levels)
        tag_embeds = text_embeds[[texts[t] for t in tag_set]] if tag_set else text_embeds[:0]
        losses = dict(logit_scale=scale.detach())
        for level in levels:
            items, caps, tags = [], [], []
            for sample in data_samples:
                it, c, t = self._items(sample, level)
                items.append(it)
                caps += c
                tags += t
            if level == 'image':
                embeds = F.normalize(feats['global_embeds'], dim=-1)
                seen = torch.ones(len(embeds), dtype=torch.bool, device=embeds.device)
            else:
                embeds, seen = self.pool(level, feats, items)
            seen = seen.tolist()
            cap_rows = [i for i, c in enumerate(caps) if c and seen[i]]
            cap_loss = self.losses[f'{level}_caption']
            if cap_loss.loss_weight != 0:
                losses[f'loss_{level}_caption'] = cap_loss(embeds[cap_rows],
                                                           text_embeds[[texts[caps[i]] for i in cap_rows]], scale)
            tag_loss = self.losses[f'{level}_tag']
            if tag_loss.loss_weight != 0:
                targets = torch.zeros(len(tags), len(tag_set), device=embeds.device)
                for i, ts in enumerate(tags):
                    if seen[i]:
                        targets[i, [tag_set[t] for t in ts if t]] = 1
                losses[f'loss_{level}_tag'] = tag_loss(embeds, targets, tag_embeds, scale)
        return losses

    def predict(self, inputs: torch.Tensor, data_samples: List) -> List:
        """Set on each sample: ``img_embed`` ``[D]``; where present, ``region_embeds`` / ``mask_embeds``
        ``[K, D]`` of its boxes / masks, and ``*_text_embeds`` of its captions (zeros where a caption is empty), for
        retrieval metrics."""
        feats = self.backbone.forward_features(inputs)
        img = F.normalize(feats['global_embeds'], dim=-1)
        texts, text_embeds, _ = self._text_table(data_samples, LEVELS)
        zero = img.new_zeros(self.embed_dims)
        for i, sample in enumerate(data_samples):
            sample.set_field(img[i], 'img_embed')
            caption = self._items(sample, 'image')[1][0]
            sample.set_field(text_embeds[texts[caption]] if caption else zero, 'text_embed')
        for level in ('region', 'mask'):
            per_image = [self._items(s, level) for s in data_samples]
            if not any(it is not None and len(it) for it, _, _ in per_image):
                continue
            items = [it for it, _, _ in per_image]
            embeds, _ = self.pool(level, feats, items)
            sizes = [0 if it is None else len(it) for it in items]
            for sample, emb, (_, caps, _) in zip(data_samples, embeds.split(sizes), per_image):
                sample.set_field(emb, f'{level}_embeds')
                sample.set_field(torch.stack([text_embeds[texts[c]] if c else zero for c in caps])
                                 if caps else img.new_zeros(0, self.embed_dims), f'{level}_text_embeds')
        return data_samples
