"""Convert published CLIP weights (OpenAI, open_clip, EVA-CLIP, Hugging Face) into UMGCLIP checkpoints.

The layout is detected from the keys, and each is converted by its module: ``openai`` (OpenAI's CLIP and
open_clip's ``CLIP`` / ``CustomTextCLIP``, as a state dict or OpenAI's TorchScript archive), ``hf``
(``transformers.CLIPModel``, a folder or a bare state dict), and ``eva02_open_clip`` / ``eva_clip`` (EVA02 image
towers, see :mod:`.eva`). Reading files is :mod:`.sources`.

The architecture (widths, depths, patch size, image size, context length, vocabulary) is inferred from the weights.
What weights cannot tell, the number of heads and the activation, comes from ``config.json`` for Hugging Face
folders; otherwise CLIP's conventions (64-dim heads; QuickGELU for OpenAI's releases) unless given.
"""
import os
import os.path as osp
from typing import Optional, Tuple

from .common import StateDict, num_layers
from .eva import convert_eva, infer_eva02_backbone
from .hf import convert_hf, umgclip_to_hf
from .openai import convert_openai
from .sources import load_source

__all__ = ['load_source', 'detect_layout', 'convert_state_dict', 'infer_model_config', 'convert_clip',
           'umgclip_to_hf', 'save_config']

EVA_LAYOUTS = ('eva02_open_clip', 'eva_clip')


def detect_layout(state: StateDict) -> str:
    """``'openai'``, ``'hf'``, ``'eva02_open_clip'`` (open_clip's EVA02 models, image tower under
    ``visual.trunk.``) or ``'eva_clip'`` (the original EVA-CLIP release, image tower under ``visual.``) from the
    keys of a state dict; a clear error for anything else."""
    if 'visual.conv1.weight' in state:
        return 'openai'
    if 'vision_model.embeddings.patch_embedding.weight' in state:
        return 'hf'
    if 'backbone.patch_embed.weight' in state:
        raise ValueError('these weights are already in UMGCLIP layout: load them directly with init_model')
    if 'visual.attnpool.c_proj.weight' in state or 'visual.layer1.0.conv1.weight' in state:
        raise ValueError('this is a ResNet CLIP: only ViT image towers are supported')
    if 'visual.trunk.pos_embed' in state and any(k.startswith('visual.trunk.blocks.0.attn.') for k in state):
        return 'eva02_open_clip'
    if 'visual.pos_embed' in state and any(k.startswith('visual.blocks.0.') for k in state):
        return 'eva_clip'
    if any(k.startswith('visual.trunk.') for k in state):
        raise ValueError('this is an open_clip timm-tower model (visual.trunk.*) other than EVA: not supported')
    sample = sorted(state)[:5]
    raise ValueError(f'unrecognised CLIP layout (first keys: {sample}). Expected an OpenAI / open_clip state dict '
                     "('visual.conv1.weight', 'transformer.resblocks.0...') or a Hugging Face CLIPModel "
                     "('vision_model.embeddings.patch_embedding.weight', 'text_model...')")


def convert_state_dict(state: StateDict, layout: Optional[str] = None, backbone_cfg: Optional[dict] = None
                       ) -> StateDict:
    """Rename (and fuse q/k/v, transpose projections) a CLIP state dict into UMGCLIP keys.

    Args:
        state (dict): The source state dict.
        layout (str, optional): The source layout; default :func:`detect_layout`.
        backbone_cfg (dict, optional): EVA layouts: the tower's config (default :func:`infer_eva02_backbone`).
    """
    layout = layout or detect_layout(state)
    if layout == 'openai':
        return convert_openai(state)
    if layout == 'hf':
        return convert_hf(state)
    if layout in EVA_LAYOUTS:
        return convert_eva(state, backbone_cfg or infer_eva02_backbone(state, layout))
    raise ValueError(f"layout must be 'openai', 'hf', 'eva02_open_clip' or 'eva_clip', got {layout!r}")


def _require(state: StateDict, keys: list) -> None:
    missing = [k for k in keys if k not in state]
    if missing:
        raise KeyError(f'the weights lack {missing}: a partial or non-CLIP checkpoint?')


def infer_model_config(state: StateDict, vision_heads: Optional[int] = None, text_heads: Optional[int] = None,
                       act: str = 'quick_gelu', ln_eps: float = 1e-5) -> dict:
    """The ``UMGCLIP`` model config that a converted state dict fits, inferred from tensor shapes.

    Args:
        state (dict): A state dict in UMGCLIP keys.
        vision_heads (int, optional): Image-tower heads; default ``width // 64`` (CLIP's convention).
        text_heads (int, optional): Text-tower heads; default ``width // 64``.
        act (str): ``'quick_gelu'`` or ``'gelu'``.
        ln_eps (float): LayerNorm epsilon.
    """
    _require(state, ['backbone.patch_embed.weight', 'backbone.pos_embed', 'backbone.proj'])
    patch = state['backbone.patch_embed.weight']
    width, patch_size = patch.shape[0], patch.shape[-1]
    grid = int(round((state['backbone.pos_embed'].shape[0] - 1)**0.5))
    if grid * grid + 1 != state['backbone.pos_embed'].shape[0]:
        raise ValueError('backbone.pos_embed is not 1 + a square grid of positions')
    backbone = dict(
        type='umgclip_mm.UMGCLIPViT', img_size=grid * patch_size, patch_size=patch_size, embed_dims=width,
        num_layers=num_layers(state, 'backbone.transformer.layers.'), num_heads=vision_heads or max(width // 64, 1),
        mlp_ratio=state['backbone.transformer.layers.0.mlp.fc1.weight'].shape[0] / width,
        output_dims=state['backbone.proj'].shape[1], act=act, ln_eps=ln_eps)
    text_encoder = infer_text_config(state, text_heads, act, ln_eps)
    return dict(type='umgclip_mm.UMGCLIP', backbone=backbone, text_encoder=text_encoder)


def infer_text_config(state: StateDict, text_heads: Optional[int] = None, act: str = 'quick_gelu',
                      ln_eps: float = 1e-5) -> dict:
    """The ``UMGCLIPTextEncoder`` config of the converted text tower in ``state`` (UMGCLIP keys); arguments as
    :func:`infer_model_config`'s."""
    _require(state, ['text_encoder.token_embedding.weight', 'text_encoder.pos_embed', 'text_encoder.proj'])
    text_width = state['text_encoder.token_embedding.weight'].shape[1]
    return dict(
        type='umgclip_mm.UMGCLIPTextEncoder', vocab_size=state['text_encoder.token_embedding.weight'].shape[0],
        context_length=state['text_encoder.pos_embed'].shape[0], embed_dims=text_width,
        num_layers=num_layers(state, 'text_encoder.transformer.layers.'),
        num_heads=text_heads or max(text_width // 64, 1),
        mlp_ratio=state['text_encoder.transformer.layers.0.mlp.fc1.weight'].shape[0] / text_width,
        output_dims=state['text_encoder.proj'].shape[1], act=act, ln_eps=ln_eps)


def convert_clip(src: str, vision_heads: Optional[int] = None, text_heads: Optional[int] = None,
                 act: Optional[str] = None) -> Tuple[dict, dict]:
    """Read and convert ``src``.

    Args:
        src (str): A state dict file, OpenAI TorchScript archive, or Hugging Face ``CLIPModel`` folder.
        vision_heads (int, optional): Override of the image-tower heads (else config.json or ``width // 64``).
        text_heads (int, optional): Override of the text-tower heads.
        act (str, optional): Override of the activation (else config.json's ``hidden_act`` or QuickGELU).

    Returns:
        tuple: an mmengine checkpoint dict (``meta`` with the source and model config, ``state_dict``) and the
        model config.
    """
    state, info = load_source(src)
    layout = detect_layout(state)
    eva = layout in EVA_LAYOUTS
    backbone_cfg = infer_eva02_backbone(state, layout, vision_heads) if eva else None
    converted = convert_state_dict(state, layout, backbone_cfg)
    ln_eps = 1e-5
    hf = info.get('hf_config')
    if hf:
        vcfg, tcfg = hf.get('vision_config', {}), hf.get('text_config', {})
        vision_heads = vision_heads or vcfg.get('num_attention_heads')
        text_heads = text_heads or tcfg.get('num_attention_heads')
        act = act or vcfg.get('hidden_act')
        ln_eps = vcfg.get('layer_norm_eps', ln_eps)
    act = act or ('gelu' if eva else 'quick_gelu')  # open_clip's EVA02 text towers use nn.GELU
    if act not in ('quick_gelu', 'gelu'):
        raise ValueError(f"unsupported activation {act!r}: UMGCLIP towers use 'quick_gelu' or 'gelu'")
    if eva:
        model_cfg = dict(type='umgclip_mm.UMGCLIP', backbone=backbone_cfg,
                         text_encoder=infer_text_config(converted, text_heads, act, ln_eps))
    else:
        model_cfg = infer_model_config(converted, vision_heads, text_heads, act, ln_eps)
    for tower in ('backbone', 'text_encoder')[1 if eva else 0:]:
        cfg = model_cfg[tower]
        if cfg['embed_dims'] % cfg['num_heads']:
            raise ValueError(f"{tower}: width {cfg['embed_dims']} is not divisible by {cfg['num_heads']} heads")
    if 'logit_scale' not in converted:
        raise KeyError(f'{src!r} has no logit_scale: not a full CLIP model')
    meta = dict(source=osp.abspath(src), source_layout=layout, source_storage=info['storage'],
                model_config=model_cfg, converter='umgclip_mm clip2umgclip')
    return dict(meta=meta, state_dict=converted), model_cfg


def save_config(model_cfg: dict, path: str) -> None:
    """Write a config file (``default_scope`` + ``model``) that builds the model a converted checkpoint fits."""
    from mmengine.config import Config
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    Config(dict(default_scope='umgclip_mm', model=model_cfg)).dump(path)
