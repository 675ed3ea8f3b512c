"""UMGCLIP: the UMG-CLIP model, text aligned with the whole image, its regions and its masks."""
import math
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModel
from mmdet.utils import ConfigType, OptConfigType, OptMultiConfig
from mmengine.structures import BaseDataElement, InstanceData

from umgclip_mm.registry import MODELS
from ..losses.distributed import all_gather_strings, gather_with_grad, rank_share

# CLIP's normalisation in 0-255 pixel units (OpenAI: mean 0.48145466 0.4578275 0.40821073,
# std 0.26862954 0.26130258 0.27577711), RGB order.
CLIP_MEAN = [122.770938, 116.7460125, 104.09373615]
CLIP_STD = [68.5005327, 66.6321579, 70.32316305]
LEVELS = ('image', 'region', 'mask')
# Where each level's items live in a data sample: (InstanceData field, geometry field inside it).
INSTANCE_FIELDS = dict(region=('regions', 'bboxes'), mask=('masks', 'masks'))


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
    and against their tags (multi-label over the tag vocabulary of the global batch: every distinct tag of every
    rank, each encoded by the text tower; see :meth:`loss`). Each distinct caption of a step is encoded once per
    rank, each distinct tag by one rank (and where it also is a caption). A term with ``loss_weight=0`` is skipped
    entirely.

    Data samples carry (see ``PackUMGInputs``) the image's ``caption`` and ``tags``, and ``regions`` /
    ``masks``: ``InstanceData`` with ``bboxes`` ``[K, 4]`` (xyxy, input pixels) / ``masks`` ``[M, H, W]``, and
    each item's ``caption`` and ``tags``; any of them may be missing or empty. ``predict`` writes ``img_embed`` and
    ``text_embed`` on the sample and ``embeds`` / ``text_embeds`` into ``regions`` and ``masks``. Task models
    reuse the tower through :meth:`forward_features` and :meth:`pool`.

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
                 backbone: ConfigType,
                 text_encoder: ConfigType,
                 region_pooler: OptConfigType = None,
                 mask_pooler: OptConfigType = None,
                 logit_scale_init: float = math.log(1 / 0.07),
                 max_logit_scale: float = 100.0,
                 loss_image_caption: OptConfigType = None,
                 loss_image_tag: OptConfigType = None,
                 loss_region_caption: OptConfigType = None,
                 loss_region_tag: OptConfigType = None,
                 loss_mask_caption: OptConfigType = None,
                 loss_mask_tag: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptMultiConfig = None):
        super().__init__(data_preprocessor=data_preprocessor or default_data_preprocessor(), init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.text_encoder = MODELS.build(text_encoder)
        if self.backbone.output_dims != self.text_encoder.output_dims:
            raise ValueError(f'the image tower projects to {self.backbone.output_dims} dims but the text tower to '
                             f'{self.text_encoder.output_dims}: output_dims must agree')
        self.region_pooler = MODELS.build(region_pooler or dict(type='umgclip_mm.RoIAlignRegionPooler'))
        self.mask_pooler = MODELS.build(mask_pooler or dict(type='umgclip_mm.MaskPooler'))
        # One element, not a 0-d tensor: FSDP shards only parameters of at least one dimension. Checkpoints with
        # CLIP's 0-d logit_scale (converted or older) load all the same (_load_from_state_dict).
        self.logit_scale = nn.Parameter(torch.tensor([float(logit_scale_init)]))
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
        """``exp(logit_scale)`` clamped at ``max_logit_scale``, a 0-d tensor."""
        return self.logit_scale.exp().clamp(max=self.max_logit_scale).reshape(())

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        key = prefix + 'logit_scale'
        if key in state_dict and state_dict[key].numel() == 1:  # CLIP's 0-d or our one-element logit_scale
            state_dict[key] = state_dict[key].reshape(self.logit_scale.shape)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    # ------------------------------------------------------------------ the public encode_* contract
    def forward_features(self, inputs: torch.Tensor, with_dense: bool = True) -> Dict[str, Any]:
        """One pass of the image tower over images ``[B, 3, H, W]`` normalised with CLIP's mean/std.

        Returns:
            dict: the tower's outputs: ``global_embeds`` ``[B, D]`` (not normalised), ``feature_maps`` (the
            blocks at ``out_indices``, ``[B, C, h, w]`` each), ``grid`` ``(h, w)``, and with ``with_dense``
            ``dense_tokens`` ``[B, C, h, w]`` (last block, what :meth:`pool` pools), ``dense_proj`` ``[B, D, h, w]``
            and ``valid`` (``[B, 1, h, w]`` or None: positions token reduction left without features).
        """
        return self.backbone.forward_features(inputs, with_dense=with_dense)

    def encode_image(self, inputs: torch.Tensor) -> torch.Tensor:
        """Global embeddings ``[B, D]`` of images ``[B, 3, H, W]`` normalised with CLIP's mean/std."""
        return F.normalize(self.forward_features(inputs, with_dense=False)['global_embeds'], dim=-1)

    def encode_dense(self, inputs: torch.Tensor) -> torch.Tensor:
        """Per-patch embeddings ``[B, D, h, w]`` in the joint space, L2-normalised along ``D``."""
        return F.normalize(self.forward_features(inputs)['dense_proj'], dim=1)

    def encode_text(self, texts: Sequence[str]) -> torch.Tensor:
        """Embeddings ``[N, D]`` of a list of strings."""
        if isinstance(texts, str):
            raise TypeError('encode_text takes a list of strings, not one string')
        return F.normalize(self.text_encoder.encode(list(texts)), dim=-1)

    def encode_regions(self, inputs: torch.Tensor, boxes: List[torch.Tensor]) -> List[torch.Tensor]:
        """Embeddings of boxes: per image ``[K_i, 4]`` xyxy in input pixels -> list of ``[K_i, D]``."""
        return list(self.pool('region', self.forward_features(inputs), boxes)[0].split([len(b) for b in boxes]))

    def encode_masks(self, inputs: torch.Tensor, masks: List[torch.Tensor]) -> List[torch.Tensor]:
        """Embeddings of masks: per image ``[K_i, H, W]`` (any resolution, covering the input) -> ``[K_i, D]``."""
        return list(self.pool('mask', self.forward_features(inputs), masks)[0].split([len(m) for m in masks]))

    def pool(self, level: str, feats: dict,
             items: List[Optional[torch.Tensor]]) -> Tuple[torch.Tensor, torch.Tensor]:
        """Normalised embeddings ``[sum K_i, D]`` of boxes (``level='region'``, per image ``[K_i, 4]``) or masks
        (``'mask'``, per image ``[K_i, H, W]``; ``None``: an image without any) from the output of one
        :meth:`forward_features` pass, and whether each saw any valid token. ``encode_regions`` and
        ``encode_masks`` without a second pass through the tower."""
        tokens = feats['dense_tokens']
        empty = tokens.new_zeros((0, 4) if level == 'region' else (0, 1, 1))
        items = [empty if x is None else x.to(tokens.device) for x in items]
        if level == 'region':
            pooled, cover = self.region_pooler(tokens, items, self.backbone.feature_stride, feats['valid'])
        else:
            pooled, cover = self.mask_pooler(tokens, items, feats['valid'])
        return F.normalize(self.backbone.project(pooled), dim=-1), cover > 0

    # ------------------------------------------------------------------ forward modes
    def forward(self,
                inputs: torch.Tensor,
                data_samples: Optional[List[BaseDataElement]] = None,
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
    def _items(sample: BaseDataElement, level: str) -> Tuple[Optional[torch.Tensor], List[str], List[List[str]]]:
        """``(geometry, captions, tags)`` of one sample at one level: the image (no geometry, one item), or its
        ``regions.bboxes`` / ``masks.masks`` with each item's ``caption`` (``''`` if missing) and ``tags``."""
        if level == 'image':
            caption = sample.get('caption', '')
            if caption is not None and not isinstance(caption, str):
                raise TypeError(f'data sample field "caption" must be a string, got {type(caption).__name__}')
            return None, [caption or ''], [list(sample.get('tags', []) or [])]
        key, geometry = INSTANCE_FIELDS[level]
        instances = sample.get(key)
        if instances is None:
            return None, [], []
        if not isinstance(instances, InstanceData) or (len(instances) and geometry not in instances):
            got = f'fields {instances.keys()}' if isinstance(instances, InstanceData) else type(instances).__name__
            raise TypeError(f'data sample {sample.metainfo.get("source", "")}: field "{key}" must be an '
                            f'InstanceData with "{geometry}", "caption" and "tags" (what PackUMGInputs packs), got '
                            f'{got}')
        n = len(instances)
        caps = [c or '' for c in instances.get('caption', [''] * n)]
        return instances.get(geometry), caps, [list(t or []) for t in instances.get('tags', [[]] * n)]

    def _text_table(self, data_samples: List[BaseDataElement], levels: Sequence[str], global_tags: bool = False):
        """Encode the captions and tags of ``levels`` of the samples, each distinct string once.

        Returns:
            tuple: ``(texts, embeds, tag_set, tag_embeds)``: the row of each encoded string in ``embeds``, the
            embeddings ``[len(texts), D]``, the tag vocabulary (each tag's column) and its embeddings ``[T, D]`` in
            column order. Without ``global_tags`` the vocabulary is the samples' tags in order of appearance. With
            it the vocabulary is every distinct tag of every rank (:func:`all_gather_strings`: rank 0's in order of
            appearance, then each further rank's new ones), this rank encodes its captions and its share of the
            vocabulary, and ``tag_embeds`` is gathered from every rank's share with ``gather_with_grad``
            (collective; see :meth:`loss`). With one process both give the same strings in the same order.
        """
        strings, captions, tags = {}, set(), {}  # dicts keep the order of first appearance
        for sample in data_samples:
            for level in levels:
                _, caps, tag_lists = self._items(sample, level)
                for c in caps:
                    if c:
                        strings.setdefault(c)
                        captions.add(c)
                for ts in tag_lists:
                    for t in ts:
                        if t:
                            strings.setdefault(t)
                            tags.setdefault(t)
        vocab = all_gather_strings(list(tags), self.logit_scale.device) if global_tags else list(tags)
        own = vocab[rank_share(len(vocab))] if global_tags else vocab
        own_set = set(own)
        texts = {}
        for text in strings:  # captions and own tags in order of appearance (all strings with one process)
            if text in captions or text in own_set:
                texts.setdefault(text, len(texts))
        for tag in own:
            texts.setdefault(tag, len(texts))
        # Nothing to encode: one dummy string cut off again, so that the empty result hangs on the text tower's graph
        # like every other rank's (a gather of it then takes part in the backward all ranks run). Not an empty
        # batch: flash attention rejects those (pytorch/pytorch#133780).
        embeds = self.encode_text(list(texts) or [''])[:len(texts)]
        tag_embeds = embeds[[texts[t] for t in own]] if own else embeds[:0]
        if global_tags and vocab:
            tag_embeds = gather_with_grad(tag_embeds)[0]
        return texts, embeds, {t: i for i, t in enumerate(vocab)}, tag_embeds

    def active_levels(self) -> List[str]:
        """Levels with at least one non-zero loss weight."""
        return [lv for lv in LEVELS
                if any(self.losses[f'{lv}_{kind}'].loss_weight != 0 for kind in ('caption', 'tag'))]

    def loss(self, inputs: torch.Tensor, data_samples: List[BaseDataElement]) -> Dict[str, torch.Tensor]:
        """The six UMG-CLIP terms (and ``logit_scale`` for the log).

        Under DDP every term equals, in value and gradients, the term of one process on the union of the ranks'
        batches (up to float rounding). Caption terms gather the embeddings (``ContrastiveLoss``). Tag terms: the
        vocabulary is every distinct tag of every rank's samples, the same list in the same order on every rank
        (:func:`all_gather_strings`). Each rank encodes a contiguous share of it and ``gather_with_grad`` assembles
        ``T`` ``[vocabulary, D]``. Rank ``r``'s term is ``L_r = sum_{i in r} l_i(e_i, T) / (N / W)`` (``N`` rows
        with tags over all ``W`` ranks, ``MultiLabelTagLoss``); DDP applies ``(1 / W) sum_r dL_r / dtheta``. The
        gather's backward hands the owner of each row of ``T`` the sum over ranks of ``dL_r / dT`` for it, so
        after the owners' text-tower backward and DDP's average the text tower's gradient through ``T`` is
        ``(1 / N) sum_i dl_i / dT * dT / dtheta``, that of one process; the gradient through the local rows ``e_i``
        is ``(1 / N) sum_i dl_i / de_i * de_i / dtheta`` by the divisor alone. Encoding the whole vocabulary on every
        rank instead (no gather; each rank backpropagates its own ``dL_r / dT`` and DDP's average adds them) is
        exact too, but repeats the tag encoding on every rank: at 77 tokens a string, thousands of distinct tags a
        step would cost more text-tower work than the rank's own captions. The string gather runs in every step in
        which a tag term has a non-zero weight.
        """
        levels = self.active_levels()
        feats = self.forward_features(inputs, with_dense=bool(set(levels) - {'image'}))
        scale = self.get_logit_scale()
        global_tags = any(self.losses[f'{lv}_tag'].loss_weight != 0 for lv in LEVELS)
        texts, text_embeds, tag_set, tag_embeds = self._text_table(data_samples, levels, global_tags)
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

    def predict(self, inputs: torch.Tensor, data_samples: List[BaseDataElement]) -> List[BaseDataElement]:
        """Set on each sample ``img_embed`` ``[D]`` and ``text_embed`` ``[D]`` (its caption's; zeros without one),
        and inside its ``regions`` / ``masks`` InstanceData ``embeds`` ``[K, D]`` and ``text_embeds`` ``[K, D]``
        (each item's caption; zeros where it is empty), for retrieval metrics."""
        feats = self.forward_features(inputs)
        img = F.normalize(feats['global_embeds'], dim=-1)
        texts, text_embeds, _, _ = self._text_table(data_samples, LEVELS)
        zero = img.new_zeros(self.embed_dims)

        def caption_embeds(caps: List[str]) -> torch.Tensor:
            rows = [text_embeds[texts[c]] if c else zero for c in caps]
            return torch.stack(rows) if rows else img.new_zeros(0, self.embed_dims)

        for i, sample in enumerate(data_samples):
            sample.set_field(img[i], 'img_embed')
            sample.set_field(caption_embeds(self._items(sample, 'image')[1])[0], 'text_embed')
        for level in ('region', 'mask'):
            per_image = [self._items(s, level) for s in data_samples]
            items = [it for it, _, _ in per_image]
            sizes = [0 if it is None else len(it) for it in items]
            embeds = self.pool(level, feats, items)[0] if sum(sizes) else img.new_zeros(0, self.embed_dims)
            for sample, emb, (_, caps, _) in zip(data_samples, embeds.split(sizes), per_image):
                instances = sample.get(INSTANCE_FIELDS[level][0])
                if instances is not None:
                    instances.embeds = emb
                    instances.text_embeds = caption_embeds(caps)
        return data_samples
