"""The pre-norm transformer shared by the CLIP image and text towers.

Parameter names are ours; ``tools/model_converters/clip2umgclip.py`` maps OpenAI / open_clip / Hugging Face names
onto them. Attention runs through ``torch.nn.functional.scaled_dot_product_attention`` so PyTorch picks the fused
kernel available on the device (flash / memory-efficient on GPU, a fused C++ kernel on CPU).
"""
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.checkpoint import checkpoint


class QuickGELU(nn.Module):
    """The sigmoid approximation of GELU that OpenAI's CLIP was trained with: ``x * sigmoid(1.702 x)``."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.sigmoid(1.702 * x)


def build_activation(name: str) -> nn.Module:
    """Return the activation called ``name``: ``'quick_gelu'`` (OpenAI CLIP) or ``'gelu'`` (open_clip LAION)."""
    if name == 'quick_gelu':
        return QuickGELU()
    if name == 'gelu':
        return nn.GELU()
    raise ValueError(f"act must be 'quick_gelu' or 'gelu', got {name!r}")


class MultiheadSelfAttention(nn.Module):
    """Multi-head self-attention with a fused ``qkv`` projection.

    Args:
        embed_dims (int): Token width.
        num_heads (int): Number of heads; must divide ``embed_dims``.
    """

    def __init__(self, embed_dims: int, num_heads: int):
        super().__init__()
        if embed_dims % num_heads:
            raise ValueError(f'embed_dims={embed_dims} is not divisible by num_heads={num_heads}')
        self.num_heads = num_heads
        self.qkv = nn.Linear(embed_dims, embed_dims * 3)
        self.proj = nn.Linear(embed_dims, embed_dims)

    def forward(self, x: torch.Tensor, attn_mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        B, N, C = x.shape
        q, k, v = self.qkv(x).view(B, N, 3, self.num_heads, C // self.num_heads).permute(2, 0, 3, 1, 4)
        x = F.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask)
        return self.proj(x.transpose(1, 2).reshape(B, N, C))

    def forward_value(self, x: torch.Tensor) -> torch.Tensor:
        """The value path alone (no query-key mixing), as MaskCLIP uses for localised dense features."""
        v = F.linear(x, *[p.chunk(3)[2] for p in (self.qkv.weight, self.qkv.bias)])
        return self.proj(v)


class ResidualAttentionBlock(nn.Module):
    """Pre-norm transformer block: ``x + attn(norm1(x))`` then ``x + mlp(norm2(x))``.

    Args:
        embed_dims (int): Token width.
        num_heads (int): Number of attention heads.
        mlp_ratio (float): Hidden width of the MLP over ``embed_dims``.
        act (str): ``'quick_gelu'`` or ``'gelu'``.
        ln_eps (float): LayerNorm epsilon.
    """

    def __init__(self, embed_dims: int, num_heads: int, mlp_ratio: float = 4.0, act: str = 'quick_gelu',
                 ln_eps: float = 1e-5):
        super().__init__()
        hidden = int(embed_dims * mlp_ratio)
        self.norm1 = nn.LayerNorm(embed_dims, eps=ln_eps)
        self.attn = MultiheadSelfAttention(embed_dims, num_heads)
        self.norm2 = nn.LayerNorm(embed_dims, eps=ln_eps)
        self.mlp = nn.Sequential()
        self.mlp.add_module('fc1', nn.Linear(embed_dims, hidden))
        self.mlp.add_module('act', build_activation(act))
        self.mlp.add_module('fc2', nn.Linear(hidden, embed_dims))

    def forward(self, x: torch.Tensor, attn_mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        x = x + self.attn(self.norm1(x), attn_mask)
        return x + self.mlp(self.norm2(x))


class Transformer(nn.Module):
    """A stack of :class:`ResidualAttentionBlock` with optional activation checkpointing.

    Args:
        embed_dims (int): Token width.
        num_layers (int): Number of blocks.
        num_heads (int): Attention heads per block.
        mlp_ratio (float): MLP hidden width over ``embed_dims``.
        act (str): ``'quick_gelu'`` or ``'gelu'``.
        ln_eps (float): LayerNorm epsilon.
        with_cp (bool): Recompute each block in the backward pass to save activation memory.
    """

    def __init__(self, embed_dims: int, num_layers: int, num_heads: int, mlp_ratio: float = 4.0,
                 act: str = 'quick_gelu', ln_eps: float = 1e-5, with_cp: bool = False):
        super().__init__()
        self.with_cp = with_cp
        self.layers = nn.ModuleList(
            ResidualAttentionBlock(embed_dims, num_heads, mlp_ratio, act, ln_eps) for _ in range(num_layers))

    def forward(self, x: torch.Tensor, attn_mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Run every block on ``x``, each checkpointed when ``with_cp`` and gradients are needed."""
        for layer in self.layers:
            if self.with_cp and torch.is_grad_enabled():
                x = checkpoint(layer, x, attn_mask, use_reentrant=False)
            else:
                x = layer(x, attn_mask)
        return x


def init_clip_transformer_(transformer: Transformer, width: int, depth: int) -> None:
    """CLIP's random initialisation of a transformer stack, in place (depth-scaled output projections)."""
    proj_std = width**-0.5 * (2 * depth)**-0.5
    attn_std = width**-0.5
    fc_std = (2 * width)**-0.5
    for block in transformer.layers:
        for linear, std in ((block.attn.qkv, attn_std), (block.attn.proj, proj_std), (block.mlp.fc1, fc_std),
                            (block.mlp.fc2, proj_std)):
            nn.init.normal_(linear.weight, std=std)
            nn.init.zeros_(linear.bias)
