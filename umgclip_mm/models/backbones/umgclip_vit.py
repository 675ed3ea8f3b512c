"""UMGCLIPViT: the CLIP image tower with global and dense outputs at any input size."""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule

from umgclip_mm.registry import MODELS
from ..layers import Transformer, init_clip_transformer_
from ..layers.token_reduction import check_token_reduction, reduce_patch_tokens, restore_patch_grid


def resize_pos_embed(pos_embed: torch.Tensor, src_grid: Tuple[int, int], dst_grid: Tuple[int, int],
                     num_extra_tokens: int = 1) -> torch.Tensor:
    """Resize a ViT positional embedding to another patch grid, bicubically.

    Args:
        pos_embed (Tensor): ``[num_extra_tokens + h * w, C]``.
        src_grid (tuple[int, int]): The ``(h, w)`` grid ``pos_embed`` was trained for.
        dst_grid (tuple[int, int]): The grid wanted.
        num_extra_tokens (int): Leading tokens (class token) that are copied, not resized.

    Returns:
        Tensor: ``[num_extra_tokens + H * W, C]``.
    """
    if tuple(src_grid) == tuple(dst_grid):
        return pos_embed
    extra, grid = pos_embed[:num_extra_tokens], pos_embed[num_extra_tokens:]
    C = grid.shape[-1]
    grid = grid.reshape(1, src_grid[0], src_grid[1], C).permute(0, 3, 1, 2)
    grid = F.interpolate(grid.float(), size=dst_grid, mode='bicubic', align_corners=False).to(pos_embed.dtype)
    return torch.cat([extra, grid.permute(0, 2, 3, 1).reshape(-1, C)], dim=0)


@MODELS.register_module()
class UMGCLIPViT(BaseModule):
    """The CLIP ViT image tower (OpenAI / open_clip / Hugging Face numerics) with dense outputs.

    ``forward`` returns the feature maps that mmdet / mmseg necks expect; :meth:`forward_features` returns, from one
    pass, the global embedding (class token through the final norm and projection), those feature maps and the dense
    features projected into the joint image-text space, so a patch can be compared with a text embedding.

    Args:
        img_size (int | tuple[int, int]): Size the positional embedding is trained for. Other input sizes work: the
            embedding is resized bicubically on the fly.
        patch_size (int): Patch size of the patch embedding.
        embed_dims (int): Token width.
        num_layers (int): Number of transformer blocks.
        num_heads (int): Attention heads per block.
        mlp_ratio (float): MLP hidden width over ``embed_dims``.
        output_dims (int): Width of the joint image-text space (the projection's output).
        act (str): ``'quick_gelu'`` (OpenAI weights) or ``'gelu'`` (most open_clip LAION weights).
        ln_eps (float): LayerNorm epsilon.
        out_indices (Sequence[int]): Blocks whose outputs ``forward`` returns as ``[B, C, h, w]`` maps
            (negative indices count from the end).
        dense_mode (str): How dense features reach the joint space: ``'plain'`` passes the last block's patch
            tokens through the final norm and projection, like the class token; ``'value'`` takes the value path of
            the last block's attention instead (MaskCLIP), which localises better in a CLIP never trained densely.
        token_reduction (dict, optional): Drop visual tokens in training only (UMG-CLIP drops 75%):
            ``dict(type='cluster', keep_ratio=0.25, iters=3)`` merges the patch tokens into ``keep_ratio * N``
            k-means clusters (cosine, on the embedded tokens, positions included) and runs the transformer on the
            cluster means; ``dict(type='random', keep_ratio=0.25)`` keeps a random subset (FLIP). Dense outputs
            are mapped back to the full grid: a cluster's output fills each of its patches; dropped random patches
            are zero and marked invalid in ``valid``, which the region and mask poolers respect.
        with_cp (bool): Activation checkpointing of every block.
        frozen (bool): Freeze every parameter and keep the tower in eval mode (parameter-efficient tuning).
        init_cfg (dict, optional): Initialisation, e.g. ``dict(type='Pretrained', checkpoint=..., prefix=...)``.
    """

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
                 token_reduction: Optional[dict] = None,
                 with_cp: bool = False,
                 frozen: bool = False,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg)
        if dense_mode not in ('plain', 'value'):
            raise ValueError(f"dense_mode must be 'plain' or 'value', got {dense_mode!r}")
        self.img_size = (img_size, img_size) if isinstance(img_size, int) else tuple(img_size)
        self.patch_size = patch_size
        self.grid_size = (self.img_size[0] // patch_size, self.img_size[1] // patch_size)
        self.embed_dims = embed_dims
        self.num_layers = num_layers
        self.output_dims = output_dims
        self.out_indices = sorted(i % num_layers for i in out_indices)
        self.dense_mode = dense_mode
        self.frozen = frozen
        self.token_reduction = check_token_reduction(token_reduction)

        self.patch_embed = nn.Conv2d(3, embed_dims, patch_size, patch_size, bias=False)
        self.cls_token = nn.Parameter(torch.empty(embed_dims))
        self.pos_embed = nn.Parameter(torch.empty(1 + self.grid_size[0] * self.grid_size[1], embed_dims))
        self.pre_norm = nn.LayerNorm(embed_dims, eps=ln_eps)
        self.transformer = Transformer(embed_dims, num_layers, num_heads, mlp_ratio, act, ln_eps, with_cp)
        self.post_norm = nn.LayerNorm(embed_dims, eps=ln_eps)
        self.proj = nn.Parameter(torch.empty(embed_dims, output_dims))
        self._init_clip_weights()
        if frozen:
            self.requires_grad_(False)

    def _init_clip_weights(self) -> None:
        """CLIP's own random initialisation (used when no pretrained checkpoint is loaded)."""
        scale = self.embed_dims**-0.5
        nn.init.normal_(self.cls_token, std=scale)
        nn.init.normal_(self.pos_embed, std=scale)
        nn.init.normal_(self.proj, std=scale)
        init_clip_transformer_(self.transformer, self.embed_dims, self.num_layers)

    def train(self, mode: bool = True) -> 'UMGCLIPViT':
        """Set train mode, except that a frozen tower stays in eval mode."""
        return super().train(mode and not self.frozen)

    def embed(self, x: torch.Tensor) -> Tuple[torch.Tensor, Tuple[int, int]]:
        """Patch-embed images ``[B, 3, H, W]`` and add the class token and positional embedding.

        Returns:
            tuple: tokens ``[B, 1 + h * w, C]`` (after the pre-norm) and the patch grid ``(h, w)``.
        """
        x = self.patch_embed(x)
        grid = (x.shape[-2], x.shape[-1])
        x = x.flatten(2).transpose(1, 2)
        cls = self.cls_token.to(x.dtype).expand(x.shape[0], 1, -1)
        pos = resize_pos_embed(self.pos_embed, self.grid_size, grid).to(x.dtype)
        x = torch.cat([cls, x], dim=1) + pos
        return self.pre_norm(x), grid

    def project(self, tokens: torch.Tensor) -> torch.Tensor:
        """Final norm and projection into the joint space: ``[..., C] -> [..., output_dims]``."""
        return self.post_norm(tokens) @ self.proj

    def reduce_tokens(self, x: torch.Tensor) -> Tuple[torch.Tensor, dict]:
        """Apply ``token_reduction`` to embedded tokens ``[B, 1 + N, C]`` (the class token is kept).

        Returns:
            tuple: the reduced tokens ``[B, 1 + K, C]`` and what :meth:`restore_grid` needs to map them back
            (``attn_mask`` hides empty clusters from attention).
        """
        patches, info = reduce_patch_tokens(x[:, 1:], self.token_reduction)
        return torch.cat([x[:, :1], patches], 1), info

    @staticmethod
    def restore_grid(tokens: torch.Tensor, info: Optional[dict]) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        """See :func:`restore_patch_grid`."""
        return restore_patch_grid(tokens, info)

    def forward_features(self, x: torch.Tensor, with_dense: bool = True) -> Dict[str, Union[torch.Tensor, List]]:
        """Run the tower once and return every output.

        Args:
            x (Tensor): Images ``[B, 3, H, W]`` normalised with CLIP's mean and std.
            with_dense (bool): Also compute the dense outputs (skip them when only the global embedding is needed).

        Returns:
            dict: ``global_embeds`` ``[B, D]`` (not normalised), ``feature_maps`` (list of ``[B, C, h, w]``, one per
            ``out_indices``) and ``grid`` ``(h, w)``; with ``with_dense`` also ``dense_tokens`` ``[B, C, h, w]``
            (the last block's patch tokens, before the final norm: what region and mask poolers pool),
            ``dense_proj`` ``[B, D, h, w]`` (dense features in the joint space, not normalised) and ``valid``
            (``[B, 1, h, w]`` float, 0 where token reduction dropped a patch; None without reduction).
        """
        x, grid = self.embed(x)
        B = x.shape[0]
        info = None
        if self.token_reduction and self.training:
            x, info = self.reduce_tokens(x)
        attn_mask = info.get('attn_mask') if info else None
        feature_maps = []
        value_input = None
        for i in range(self.num_layers):
            if i == self.num_layers - 1 and with_dense and self.dense_mode == 'value':
                value_input = x
            x = self.transformer.run_layer(i, x, attn_mask)
            if i in self.out_indices:
                tokens, _ = self.restore_grid(x[:, 1:], info)
                feature_maps.append(tokens.transpose(1, 2).reshape(B, self.embed_dims, *grid))
        out = dict(global_embeds=self.project(x[:, 0]), feature_maps=feature_maps, grid=grid)
        if with_dense:
            tokens, valid = self.restore_grid(x[:, 1:], info)
            if value_input is not None:
                last = self.transformer.layers[-1]
                patches, _ = self.restore_grid(last.attn.forward_value(last.norm1(value_input))[:, 1:], info)
            else:
                patches = tokens
            out['dense_tokens'] = tokens.transpose(1, 2).reshape(B, self.embed_dims, *grid)
            out['dense_proj'] = self.project(patches).transpose(1, 2).reshape(B, self.output_dims, *grid)
            out['valid'] = None if valid is None else valid.reshape(B, 1, *grid)
        return out

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """Feature maps ``[B, C, h, w]`` at ``out_indices``, the backbone contract of mmdet / mmseg necks."""
        return tuple(self.forward_features(x, with_dense=False)['feature_maps'])
