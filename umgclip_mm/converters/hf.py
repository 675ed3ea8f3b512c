"""Hugging Face ``transformers.CLIPModel`` layout (``vision_model.*``, ``text_model.*``) <-> UMGCLIP keys."""
import re
from collections import OrderedDict

import torch

from .common import IGNORED, StateDict, rename

HF_BLOCK = {'layer_norm1': 'norm1', 'layer_norm2': 'norm2', 'self_attn.out_proj': 'attn.proj', 'mlp.fc1': 'mlp.fc1',
            'mlp.fc2': 'mlp.fc2'}
HF_TOP = {
    'vision_model.embeddings.patch_embedding.weight': 'backbone.patch_embed.weight',
    'vision_model.embeddings.class_embedding': 'backbone.cls_token',
    'vision_model.embeddings.position_embedding.weight': 'backbone.pos_embed',
    'vision_model.pre_layrnorm': 'backbone.pre_norm', 'vision_model.post_layernorm': 'backbone.post_norm',
    'text_model.embeddings.token_embedding.weight': 'text_encoder.token_embedding.weight',
    'text_model.embeddings.position_embedding.weight': 'text_encoder.pos_embed',
    'text_model.final_layer_norm': 'text_encoder.final_norm', 'logit_scale': 'logit_scale'
}


def convert_hf(state: StateDict) -> StateDict:
    """Rename a ``CLIPModel`` state dict into UMGCLIP keys: q/k/v fused, ``Linear`` projections transposed."""
    out = OrderedDict()
    qkv = {}
    for key, value in state.items():
        if IGNORED.search(key):
            continue
        if key in ('visual_projection.weight', 'text_projection.weight'):
            tower = 'backbone' if key.startswith('visual') else 'text_encoder'
            out[f'{tower}.proj'] = value.t().contiguous()
            continue
        m = re.match(r'(vision|text)_model\.encoder\.layers\.(\d+)\.(.+)', key)
        if m:
            prefix = f"{'backbone' if m.group(1) == 'vision' else 'text_encoder'}.transformer.layers.{m.group(2)}"
            p = re.match(r'self_attn\.([qkv])_proj\.(weight|bias)$', m.group(3))
            if p:
                qkv.setdefault(f'{prefix}.attn.qkv.{p.group(2)}', {})[p.group(1)] = value
                continue
            rest = rename(m.group(3), HF_BLOCK)
            if rest is None:
                raise KeyError(f'unsupported block parameter {key!r}')
            out[f'{prefix}.{rest}'] = value
            continue
        new = rename(key, HF_TOP)
        if new is None:
            raise KeyError(f'unsupported parameter {key!r} for a Hugging Face CLIPModel')
        out[new] = value
    for key, parts in qkv.items():
        if set(parts) != {'q', 'k', 'v'}:
            raise KeyError(f'{key}: q/k/v projections incomplete, found {sorted(parts)}')
        out[key] = torch.cat([parts['q'], parts['k'], parts['v']])
    return out


def umgclip_to_hf(state: StateDict) -> StateDict:
    """The inverse of :func:`convert_hf`: UMGCLIP keys -> ``transformers.CLIPModel`` keys.

    Used to load the same weights into ``transformers`` for parity checks and side-by-side benchmarks.
    """
    top = {v: k for k, v in HF_TOP.items()}
    block = {v: k for k, v in HF_BLOCK.items()}
    out = OrderedDict()
    for key, value in state.items():
        if key in ('backbone.proj', 'text_encoder.proj'):
            out[('visual' if key.startswith('backbone') else 'text') + '_projection.weight'] = value.t().contiguous()
            continue
        m = re.match(r'(backbone|text_encoder)\.transformer\.layers\.(\d+)\.(.+)', key)
        if m:
            prefix = f"{'vision' if m.group(1) == 'backbone' else 'text'}_model.encoder.layers.{m.group(2)}"
            p = re.match(r'attn\.qkv\.(weight|bias)$', m.group(3))
            if p:
                for name, part in zip('qkv', value.chunk(3)):
                    out[f'{prefix}.self_attn.{name}_proj.{p.group(1)}'] = part
                continue
            out[f'{prefix}.{rename(m.group(3), block)}'] = value
            continue
        new = rename(key, top)
        if new is None:
            raise KeyError(f'no Hugging Face name for {key!r}')
        out[new] = value
    return out
