"""UMGCLIPTextEncoder: the CLIP text tower."""
from typing import Sequence

import torch
import torch.nn as nn
from mmdet.utils import OptConfigType, OptMultiConfig
from mmengine.model import BaseModule

from umgclip_mm.registry import MODELS, TASK_UTILS
from ..layers import Transformer, init_clip_transformer_


@MODELS.register_module()
class UMGCLIPTextEncoder(BaseModule):
    """CLIP's text transformer: causal self-attention, pooled at the end-of-text token, projected.

    Args:
        vocab_size (int): Rows of the token embedding (49408 for CLIP's BPE).
        context_length (int): Tokens per text; also the tokenizer's window.
        embed_dims (int): Token width.
        num_layers (int): Number of transformer blocks.
        num_heads (int): Attention heads per block.
        mlp_ratio (float): MLP hidden width over ``embed_dims``.
        output_dims (int): Width of the joint image-text space.
        act (str): ``'quick_gelu'`` (OpenAI weights) or ``'gelu'``.
        ln_eps (float): LayerNorm epsilon.
        tokenizer (dict, optional): Config of the tokenizer (a ``TASK_UTILS`` entry; default
            ``CLIPTokenizer``); its ``context_length`` is set to ours.
        with_cp (bool): Activation checkpointing of every block.
        frozen (bool): Freeze every parameter and keep the tower in eval mode.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 vocab_size: int = 49408,
                 context_length: int = 77,
                 embed_dims: int = 512,
                 num_layers: int = 12,
                 num_heads: int = 8,
                 mlp_ratio: float = 4.0,
                 output_dims: int = 512,
                 act: str = 'quick_gelu',
                 ln_eps: float = 1e-5,
                 tokenizer: OptConfigType = None,
                 with_cp: bool = False,
                 frozen: bool = False,
                 init_cfg: OptMultiConfig = None):
        super().__init__(init_cfg)
        self.context_length = context_length
        self.embed_dims = embed_dims
        self.num_layers = num_layers
        self.output_dims = output_dims
        self.frozen = frozen
        self.tokenizer = TASK_UTILS.build(
            dict(tokenizer or dict(type='umgclip_mm.CLIPTokenizer'), context_length=context_length))
        if self.tokenizer.vocab_size > vocab_size:
            raise ValueError(f'the tokenizer has {self.tokenizer.vocab_size} tokens but vocab_size={vocab_size}')

        self.token_embedding = nn.Embedding(vocab_size, embed_dims)
        self.pos_embed = nn.Parameter(torch.empty(context_length, embed_dims))
        self.transformer = Transformer(embed_dims, num_layers, num_heads, mlp_ratio, act, ln_eps, with_cp)
        self.final_norm = nn.LayerNorm(embed_dims, eps=ln_eps)
        self.proj = nn.Parameter(torch.empty(embed_dims, output_dims))
        # True where attention is allowed: each token sees itself and the tokens before it.
        causal = torch.ones(context_length, context_length, dtype=torch.bool).tril()
        self.register_buffer('causal_mask', causal, persistent=False)

        nn.init.normal_(self.token_embedding.weight, std=0.02)
        nn.init.normal_(self.pos_embed, std=0.01)
        nn.init.normal_(self.proj, std=embed_dims**-0.5)
        init_clip_transformer_(self.transformer, embed_dims, num_layers)
        if frozen:
            self.requires_grad_(False)

    def train(self, mode: bool = True) -> 'UMGCLIPTextEncoder':
        """Set train mode, except that a frozen tower stays in eval mode."""
        return super().train(mode and not self.frozen)

    def tokenize(self, texts: Sequence[str]) -> torch.Tensor:
        """Token ids ``[N, context_length]`` on the tower's device."""
        return self.tokenizer(texts).to(self.token_embedding.weight.device)

    def forward(self, token_ids: torch.Tensor) -> torch.Tensor:
        """Embed token ids ``[N, L]`` (``L <= context_length``) into the joint space: ``[N, output_dims]``.

        The text embedding is read at the end-of-text token, the largest id of each row (CLIP's convention).
        """
        L = token_ids.shape[1]
        x = self.token_embedding(token_ids) + self.pos_embed[:L].to(self.token_embedding.weight.dtype)
        x = self.transformer(x, self.causal_mask[:L, :L])
        x = self.final_norm(x)
        eot = x[torch.arange(x.shape[0], device=x.device), token_ids.argmax(dim=-1)]
        return eot @ self.proj

    def encode(self, texts: Sequence[str]) -> torch.Tensor:
        """Tokenize and embed a list of strings: ``[N, output_dims]`` (not normalised)."""
        return self(self.tokenize(texts))
