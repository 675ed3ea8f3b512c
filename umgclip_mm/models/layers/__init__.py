from .transformer import (MultiheadSelfAttention, QuickGELU, ResidualAttentionBlock, Transformer,
                          build_activation, init_clip_transformer_)

__all__ = ['QuickGELU', 'build_activation', 'MultiheadSelfAttention', 'ResidualAttentionBlock', 'Transformer',
           'init_clip_transformer_']
