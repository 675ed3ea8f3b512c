"""UMGCLIP: the CLIP dual encoder of UMG-CLIP, with the encode_* methods of the public contract."""
import math
from typing import Dict, List, Optional, Sequence, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModel

from umgclip_mm.registry import MODELS

# CLIP's normalisation in 0-255 pixel units (OpenAI: mean 0.48145466 0.4578275 0.40821073,
# std 0.26862954 0.26130258 0.27577711), RGB order.
CLIP_MEAN = [122.770938, 116.7460125, 104.09373615]
CLIP_STD = [68.5005327, 66.6321579, 70.32316305]


def default_data_preprocessor() -> dict:
    """CLIP's mean/std, BGR (mmcv's loading order) to RGB."""
    return dict(type='ImgDataPreprocessor', mean=CLIP_MEAN, std=CLIP_STD, bgr_to_rgb=True)


@MODELS.register_module()
class UMGCLIP(BaseModel):
    """The UMG-CLIP model: a CLIP image tower and text tower sharing one joint embedding space.

    Every ``encode_*`` method returns L2-normalised embeddings in the joint space; ``logit_scale`` is CLIP's learnable
    log inverse temperature and :meth:`get_logit_scale` its exponential, clamped at ``max_logit_scale`` as CLIP
    does. ``loss`` mode computes the image-caption contrastive loss over the global batch; each data sample carries
    its caption as the field ``caption`` (a string).

    Args:
        backbone (dict): Config of the image tower (e.g. ``UMGCLIPViT``).
        text_encoder (dict): Config of the text tower (e.g. ``UMGCLIPTextEncoder``).
        logit_scale_init (float): Initial value of ``logit_scale`` (CLIP: ``log(1 / 0.07)``).
        max_logit_scale (float): Upper clamp of ``exp(logit_scale)`` (CLIP: 100).
        loss_image_caption (dict): Config of the image-caption loss.
        data_preprocessor (dict, optional): Default: mmengine's ``ImgDataPreprocessor`` with CLIP's mean/std.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 backbone: dict,
                 text_encoder: dict,
                 logit_scale_init: float = math.log(1 / 0.07),
                 max_logit_scale: float = 100.0,
                 loss_image_caption: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(data_preprocessor=data_preprocessor or default_data_preprocessor(), init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.text_encoder = MODELS.build(text_encoder)
        if self.backbone.output_dims != self.text_encoder.output_dims:
            raise ValueError(f'the image tower projects to {self.backbone.output_dims} dims but the text tower to '
                             f'{self.text_encoder.output_dims}: output_dims must agree')
        self.logit_scale = nn.Parameter(torch.tensor(float(logit_scale_init)))
        self.max_logit_scale = max_logit_scale
        self.loss_image_caption = MODELS.build(loss_image_caption or dict(type='umgclip_mm.ContrastiveLoss'))

    @property
    def embed_dims(self) -> int:
        """Width of the joint space."""
        return self.backbone.output_dims

    def get_logit_scale(self) -> torch.Tensor:
        """``exp(logit_scale)`` clamped at ``max_logit_scale``."""
        return self.logit_scale.exp().clamp(max=self.max_logit_scale)

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

    def forward(self,
                inputs: torch.Tensor,
                data_samples: Optional[List] = None,
                mode: str = 'tensor') -> Union[Dict[str, torch.Tensor], List, torch.Tensor]:
        """The three mmengine modes.

        Args:
            inputs (Tensor): Preprocessed images ``[B, 3, H, W]``.
            data_samples (list, optional): One data element per image; ``loss`` reads their ``caption``.
            mode (str): ``'loss'`` returns a dict of losses; ``'predict'`` returns the data samples with
                ``img_embed`` (the normalised global embedding) set; ``'tensor'`` returns the embeddings ``[B, D]``.
        """
        if mode == 'tensor':
            return self.encode_image(inputs)
        if mode == 'predict':
            embeds = self.encode_image(inputs)
            for sample, embed in zip(data_samples, embeds):
                sample.set_field(embed, 'img_embed')
            return data_samples
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        raise ValueError(f"mode must be 'loss', 'predict' or 'tensor', got {mode!r}")

    def loss(self, inputs: torch.Tensor, data_samples: List) -> Dict[str, torch.Tensor]:
        """Image-caption contrastive loss of a batch (negatives from every rank)."""
        captions = []
        for i, sample in enumerate(data_samples):
            caption = sample.get('caption')
            if not isinstance(caption, str):
                raise KeyError(f'data sample {i} has no caption string (field "caption"); got {caption!r}')
            captions.append(caption)
        scale = self.get_logit_scale()
        image = self.encode_image(inputs)
        text = self.encode_text(captions)
        return dict(loss_image_caption=self.loss_image_caption(image, text, scale), logit_scale=scale.detach())
