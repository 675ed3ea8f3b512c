"""UMGCLIPViT: the CLIP image tower (OpenAI / open_clip / Hugging Face numerics) with global and dense outputs."""
from typing import Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmdet.utils import OptConfigType, OptMultiConfig
from mmpretrain.models.utils import resize_pos_embed

from umgclip_mm.registry import MODELS
from ..layers import Transformer, init_clip_transformer_
from .base_image_tower import BaseImageTower, Grid


@MODELS.register_module()
class UMGCLIPViT(BaseImageTower):
    """The CLIP ViT image tower (OpenAI / open_clip / Hugging Face numerics) with dense outputs.

    Patch embedding (conv, no bias), class token, positional embedding (resized bicubically, by mmpretrain's
    ``resize_pos_embed``, when the input grid differs from the trained one), a LayerNorm, pre-norm blocks, and the
    final norm and projection (:meth:`project`) for the class token and, densely, the patch tokens. Outputs,
    token reduction, freezing and ``pretrained=`` are :class:`BaseImageTower`'s.

    Args:
        img_size (int | tuple[int, int]): Size the positional embedding is trained for. Other input sizes work.
        patch_size (int): Patch size of the patch embedding.
        embed_dims (int): Token width.
        num_layers (int): Number of transformer blocks.
        num_heads (int): Attention heads per block.
        mlp_ratio (float): MLP hidden width over ``embed_dims``.
        output_dims (int): Width of the joint image-text space (the projection's output).
        act (str): ``'quick_gelu'`` (OpenAI weights) or ``'gelu'`` (most open_clip LAION weights).
        ln_eps (float): LayerNorm epsilon.
        out_indices (Sequence[int]): Blocks whose outputs ``forward`` returns as ``[B, C, h, w]`` maps.
        dense_mode (str): ``'plain'`` or ``'value'`` (the last block's value path, MaskCLIP: localises better in
            a CLIP never trained densely).
        token_reduction (dict, optional): See :class:`BaseImageTower` (training only).
        with_cp (bool): Activation checkpointing of every block.
        frozen (bool): Freeze every parameter and keep the tower in eval mode.
        pretrained (str, optional): mmseg's backbone argument, see :class:`BaseImageTower`.
        init_cfg (dict, optional): Initialisation, e.g. ``dict(type='Pretrained', checkpoint=..., prefix=...)``.
        feature_stride (int, optional): Input pixels per output grid cell; see :class:`BaseImageTower`.
    """

    dense_modes = ('plain', 'value')

    def __init__(self,
                 img_size: Union[int, Tuple[int, int]] = 224,
                 patch_size: int = 16,
                 embed_dims: int = 768,
                 num_layers: int = 12,
                 num_heads: int = 12,
                 mlp_ratio: float = 4.0,
                 output_dims: int = 512,
                 act: str = 'quick_gelu',
                 ln_eps: float = 1e-5,
                 out_indices: Sequence[int] = (-1, ),
                 dense_mode: str = 'plain',
                 token_reduction: OptConfigType = None,
                 with_cp: bool = False,
                 frozen: bool = False,
                 pretrained: Optional[str] = None,
                 init_cfg: OptMultiConfig = None,
                 feature_stride: Optional[int] = None):
        super().__init__(patch_size, embed_dims, num_layers, output_dims, out_indices, dense_mode, token_reduction,
                         with_cp, frozen, pretrained, init_cfg, feature_stride=feature_stride)
        self.img_size = (img_size, img_size) if isinstance(img_size, int) else tuple(img_size)
        self.grid_size = (self.img_size[0] // patch_size, self.img_size[1] // patch_size)
        self.patch_embed = nn.Conv2d(3, embed_dims, patch_size, patch_size, bias=False)
        self.cls_token = nn.Parameter(torch.empty(embed_dims))
        self.pos_embed = nn.Parameter(torch.empty(1 + self.grid_size[0] * self.grid_size[1], embed_dims))
        self.pre_norm = nn.LayerNorm(embed_dims, eps=ln_eps)
        self.transformer = Transformer(embed_dims, num_layers, num_heads, mlp_ratio, act, ln_eps)
        self.post_norm = nn.LayerNorm(embed_dims, eps=ln_eps)
        self.proj = nn.Parameter(torch.empty(embed_dims, output_dims))
        scale = embed_dims**-0.5  # CLIP's random initialisation (kept when no checkpoint is loaded)
        for param in (self.cls_token, self.pos_embed, self.proj):
            nn.init.normal_(param, std=scale)
        init_clip_transformer_(self.transformer, embed_dims, num_layers)
        self._freeze()

    def embed(self, x: torch.Tensor) -> Tuple[torch.Tensor, Grid, None]:
        """Patch-embed images, add the class token and positional embedding, pre-norm: ``[B, 1 + h * w, C]``."""
        x = self.patch_embed(x)
        grid = (x.shape[-2], x.shape[-1])
        x = x.flatten(2).transpose(1, 2)
        cls = self.cls_token.to(x.dtype).expand(x.shape[0], 1, -1)
        pos = resize_pos_embed(self.pos_embed[None], self.grid_size, grid, num_extra_tokens=1)[0].to(x.dtype)
        return self.pre_norm(torch.cat([cls, x], dim=1) + pos), grid, None

    def run_block(self, index: int, x: torch.Tensor, attn_mask: Optional[torch.Tensor] = None,
                  pos: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Run transformer block ``index`` (positions are in the tokens already: ``pos`` is None)."""
        return self.transformer.layers[index](x, attn_mask)

    def project(self, tokens: torch.Tensor) -> torch.Tensor:
        """Final norm and projection into the joint space: ``[..., C] -> [..., output_dims]``."""
        return self.post_norm(tokens) @ self.proj

    def value_path(self, x: torch.Tensor) -> torch.Tensor:
        """The last block's attention value path (no query-key mixing) on its input ``x``."""
        last = self.transformer.layers[-1]
        return last.attn.forward_value(last.norm1(x))
