"""Convert published CLIP weights (OpenAI, open_clip, Hugging Face) into UMGCLIP checkpoints.

Three layouts are read, detected from the keys:

- ``openai``: OpenAI's CLIP and open_clip's ``CLIP`` (``visual.conv1.weight``, ``transformer.resblocks.*``,
  ``text_projection``), as a state dict (``.pt/.pth/.bin/.safetensors``) or OpenAI's TorchScript archive;
  open_clip's ``CustomTextCLIP`` (text tower under ``text.``) as well.
- ``hf``: ``transformers.CLIPModel`` (``vision_model.*``, ``text_model.*``), as a folder (``config.json`` with
  ``model.safetensors`` / ``pytorch_model.bin``, sharded or not) or a bare state dict.

The architecture (widths, depths, patch size, image size, context length, vocabulary) is inferred from the weights.
What weights cannot tell, the number of heads and the activation, comes from ``config.json`` for Hugging Face
folders; otherwise CLIP's conventions (64-dim heads; QuickGELU for OpenAI's releases) unless given.
"""
import json
import os
import os.path as osp
import re
import zipfile
from collections import OrderedDict
from typing import Dict, Optional, Tuple

import torch

from umgclip_mm.utils import load_checkpoint_file

__all__ = ['load_source', 'detect_layout', 'convert_state_dict', 'infer_model_config', 'convert_clip',
           'umgclip_to_hf', 'save_config']

StateDict = Dict[str, torch.Tensor]

# Per-block renames shared by both towers: OpenAI/open_clip name -> ours.
_OPENAI_BLOCK = {
    'ln_1': 'norm1', 'ln_2': 'norm2', 'attn.in_proj_weight': 'attn.qkv.weight', 'attn.in_proj_bias': 'attn.qkv.bias',
    'attn.out_proj': 'attn.proj', 'mlp.c_fc': 'mlp.fc1', 'mlp.c_proj': 'mlp.fc2'
}
_OPENAI_TOP = {
    'visual.conv1.weight': 'backbone.patch_embed.weight', 'visual.class_embedding': 'backbone.cls_token',
    'visual.positional_embedding': 'backbone.pos_embed', 'visual.ln_pre': 'backbone.pre_norm',
    'visual.ln_post': 'backbone.post_norm', 'visual.proj': 'backbone.proj',
    'token_embedding.weight': 'text_encoder.token_embedding.weight', 'positional_embedding': 'text_encoder.pos_embed',
    'ln_final': 'text_encoder.final_norm', 'text_projection': 'text_encoder.proj', 'logit_scale': 'logit_scale'
}
_HF_BLOCK = {'layer_norm1': 'norm1', 'layer_norm2': 'norm2', 'self_attn.out_proj': 'attn.proj', 'mlp.fc1': 'mlp.fc1',
             'mlp.fc2': 'mlp.fc2'}
_HF_TOP = {
    'vision_model.embeddings.patch_embedding.weight': 'backbone.patch_embed.weight',
    'vision_model.embeddings.class_embedding': 'backbone.cls_token',
    'vision_model.embeddings.position_embedding.weight': 'backbone.pos_embed',
    'vision_model.pre_layrnorm': 'backbone.pre_norm', 'vision_model.post_layernorm': 'backbone.post_norm',
    'text_model.embeddings.token_embedding.weight': 'text_encoder.token_embedding.weight',
    'text_model.embeddings.position_embedding.weight': 'text_encoder.pos_embed',
    'text_model.final_layer_norm': 'text_encoder.final_norm', 'logit_scale': 'logit_scale'
}
# Keys that carry no weights (buffers recomputed by the model, or constants).
_IGNORED = re.compile(r'(^|\.)(position_ids|attn_mask|input_resolution|context_length|vocab_size)$')


def _rename(key: str, table: Dict[str, str]) -> Optional[str]:
    """Apply the first entry of ``table`` that is ``key`` itself or a dotted prefix of it."""
    for src, dst in table.items():
        if key == src or key.startswith(src + '.'):
            return dst + key[len(src):]
    return None


def _is_torchscript(path: str) -> bool:
    if not zipfile.is_zipfile(path):
        return False
    with zipfile.ZipFile(path) as zf:
        return any(name.split('/', 1)[-1].startswith('code/') for name in zf.namelist())


def _load_state_file(path: str) -> Tuple[StateDict, str]:
    """State dict of one file and how it was stored (``safetensors``, ``torchscript`` or ``pickle``)."""
    if path.endswith('.safetensors'):
        from safetensors.torch import load_file
        return load_file(path), 'safetensors'
    if _is_torchscript(path):
        # OpenAI's release archives. TorchScript deserialisation restores a scripted module (tensors and TorchScript
        # code, which is only compiled, never run here), not arbitrary Python objects; we keep nothing but its
        # tensors.
        return {k: v.detach().clone() for k, v in torch.jit.load(path, map_location='cpu').state_dict().items()}, \
            'torchscript'
    ckpt = load_checkpoint_file(path)
    for key in ('state_dict', 'model', 'module'):
        if isinstance(ckpt, dict) and isinstance(ckpt.get(key), dict):
            ckpt = ckpt[key]
            break
    if not isinstance(ckpt, dict):
        raise ValueError(f'{path!r} holds a {type(ckpt).__name__}, not a state dict')
    return ckpt, 'pickle'


def load_source(src: str) -> Tuple[StateDict, dict]:
    """Read the weights of ``src`` (file or Hugging Face folder).

    Returns:
        tuple: the state dict (``module.`` prefixes removed) and a dict of facts about the source: ``storage``,
        and for Hugging Face folders ``hf_config`` (the parsed ``config.json``).
    """
    if not osp.exists(src):
        raise FileNotFoundError(f'no such file or folder: {src!r}')
    info = {}
    if osp.isdir(src):
        cfg_path = osp.join(src, 'config.json')
        if not osp.isfile(cfg_path):
            raise FileNotFoundError(f'{src!r} is a folder but has no config.json: a Hugging Face CLIPModel folder '
                                    'holds config.json and model.safetensors or pytorch_model.bin')
        with open(cfg_path, encoding='utf-8') as f:
            info['hf_config'] = json.load(f)
        files = [n for n in ('model.safetensors', 'pytorch_model.bin') if osp.isfile(osp.join(src, n))]
        index = [n for n in ('model.safetensors.index.json', 'pytorch_model.bin.index.json')
                 if osp.isfile(osp.join(src, n))]
        if files:
            state, info['storage'] = _load_state_file(osp.join(src, files[0]))
        elif index:
            with open(osp.join(src, index[0]), encoding='utf-8') as f:
                shards = sorted(set(json.load(f)['weight_map'].values()))
            state = {}
            for shard in shards:
                part, info['storage'] = _load_state_file(osp.join(src, shard))
                state.update(part)
        else:
            raise FileNotFoundError(f'{src!r} has config.json but no model.safetensors, pytorch_model.bin or '
                                    'a *.index.json of shards')
    else:
        state, info['storage'] = _load_state_file(src)
    state = {(k[len('module.'):] if k.startswith('module.') else k): v for k, v in state.items()}
    return state, info


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


def _convert_openai(state: StateDict) -> StateDict:
    out = OrderedDict()
    for key, value in state.items():
        if key.startswith('text.'):  # open_clip CustomTextCLIP keeps the text tower under 'text.'
            key = key[len('text.'):]
        if _IGNORED.search(key):
            continue
        if key == 'text_projection.weight':  # open_clip's Linear text projection: [out, in]
            out['text_encoder.proj'] = value.t().contiguous()
            continue
        m = re.match(r'(visual\.)?transformer\.resblocks\.(\d+)\.(.+)', key)
        if m:
            tower = 'backbone' if m.group(1) else 'text_encoder'
            rest = _rename(m.group(3), _OPENAI_BLOCK)
            if rest is None:
                raise KeyError(f'unsupported block parameter {key!r} (layer scale or other non-CLIP block?)')
            out[f'{tower}.transformer.layers.{m.group(2)}.{rest}'] = value
            continue
        new = _rename(key, _OPENAI_TOP)
        if new is None:
            raise KeyError(f'unsupported parameter {key!r} for a CLIP ViT (e.g. text_projection bias, '
                           'attentional pooling, SigLIP logit_bias)')
        out[new] = value
    return out


def _convert_hf(state: StateDict) -> StateDict:
    out = OrderedDict()
    qkv = {}
    for key, value in state.items():
        if _IGNORED.search(key):
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
            rest = _rename(m.group(3), _HF_BLOCK)
            if rest is None:
                raise KeyError(f'unsupported block parameter {key!r}')
            out[f'{prefix}.{rest}'] = value
            continue
        new = _rename(key, _HF_TOP)
        if new is None:
            raise KeyError(f'unsupported parameter {key!r} for a Hugging Face CLIPModel')
        out[new] = value
    for key, parts in qkv.items():
        if set(parts) != {'q', 'k', 'v'}:
            raise KeyError(f'{key}: q/k/v projections incomplete, found {sorted(parts)}')
        out[key] = torch.cat([parts['q'], parts['k'], parts['v']])
    return out


def _eva_prefix(layout: str) -> str:
    return 'visual.trunk.' if layout == 'eva02_open_clip' else 'visual.'


def infer_eva02_backbone(state: StateDict, layout: str, vision_heads: Optional[int] = None) -> dict:
    """The ``EVA02CLIPViT`` config of the EVA image tower in a source state dict (open_clip or EVA-CLIP keys).

    The published towers (B/16, L/14 at 224 or 336 px, E/14) are recognised by width, depth and patch size and get
    timm's architecture (``EVA02_ARCHS``), including what weights cannot show (rotary grid, post-norm). Other sizes
    are built from what the weights show, as pre-norm blocks with rotary embeddings at the trained grid and
    ``vision_heads`` (default ``width // 64``) heads.
    """
    from umgclip_mm.models.backbones.eva02_clip_vit import EVA02_ARCHS
    p = _eva_prefix(layout)
    patch = state[p + 'patch_embed.proj.weight']
    width, patch_size = patch.shape[0], patch.shape[-1]
    depth = _num_layers(state, p + 'blocks.')
    num_pos = state[p + 'pos_embed'].shape[-2]
    grid = int(round((num_pos - 1)**0.5))
    if grid * grid + 1 != num_pos:
        raise ValueError(f'{p}pos_embed is not 1 + a square grid of positions')
    head = state.get(p + 'head.weight')
    if head is None:
        raise KeyError(f'{p}head.weight (the projection into the joint space) is missing')
    cfg = dict(type='umgclip_mm.EVA02CLIPViT', img_size=grid * patch_size, output_dims=head.shape[0])
    for name, arch in EVA02_ARCHS.items():
        if (arch['embed_dim'], arch['depth'], arch['patch_size']) == (width, depth, patch_size):
            return dict(cfg, arch=name)
    b0 = p + 'blocks.0.'
    fc1 = state.get(b0 + 'mlp.fc1_g.weight', state.get(b0 + 'mlp.w1.weight', state.get(b0 + 'mlp.fc1.weight')))
    arch = dict(patch_size=patch_size, embed_dim=width, depth=depth, num_heads=vision_heads or max(width // 64, 1),
                qkv_fused=b0 + 'attn.qkv.weight' in state, mlp_ratio=fc1.shape[0] / width,
                swiglu_mlp=(b0 + 'mlp.fc1_g.weight') in state or (b0 + 'mlp.w1.weight') in state,
                scale_mlp=(b0 + 'mlp.norm.weight') in state or (b0 + 'mlp.ffn_ln.weight') in state,
                scale_attn_inner=(b0 + 'attn.norm.weight') in state or (b0 + 'attn.inner_attn_ln.weight') in state,
                use_rot_pos_emb=True, ref_feat_shape=(grid, grid))
    return dict(cfg, arch=arch)


def _convert_eva(state: StateDict, layout: str, backbone_cfg: dict) -> StateDict:
    """Image tower through timm's own EVA checkpoint filter (it maps open_clip and EVA-CLIP keys onto timm's
    ``Eva``), text tower and ``logit_scale`` as open_clip's."""
    from timm.models.eva import checkpoint_filter_fn

    from umgclip_mm.registry import MODELS
    with torch.device('meta'):  # only shapes are needed: E/14 would otherwise allocate 4.4B parameters
        tower = MODELS.build(backbone_cfg)
    visual = {k: v for k, v in state.items() if k.startswith('visual.')}
    trunk = checkpoint_filter_fn(visual, tower.trunk)
    expected = set(tower.trunk.state_dict())
    unknown = sorted(set(trunk) - expected)
    missing = sorted(expected - set(trunk))
    if unknown or missing:
        raise KeyError(f'the EVA image tower does not fit {backbone_cfg["arch"]}: unexpected {unknown[:6]}, '
                       f'missing {missing[:6]}')
    out = _convert_openai({k: v for k, v in state.items() if not k.startswith('visual.')})
    out.update((f'backbone.trunk.{k}', v) for k, v in trunk.items())
    return out


def convert_state_dict(state: StateDict, layout: Optional[str] = None, backbone_cfg: Optional[dict] = None
                       ) -> StateDict:
    """Rename (and fuse q/k/v, transpose projections) a CLIP state dict into UMGCLIP keys (EVA layouts need the
    ``backbone_cfg`` from :func:`infer_eva02_backbone`)."""
    layout = layout or detect_layout(state)
    if layout == 'openai':
        return _convert_openai(state)
    if layout == 'hf':
        return _convert_hf(state)
    if layout in ('eva02_open_clip', 'eva_clip'):
        return _convert_eva(state, layout, backbone_cfg or infer_eva02_backbone(state, layout))
    raise ValueError(f"layout must be 'openai', 'hf', 'eva02_open_clip' or 'eva_clip', got {layout!r}")


def _num_layers(state: StateDict, prefix: str) -> int:
    ids = {int(m.group(1)) for k in state for m in [re.match(re.escape(prefix) + r'(\d+)\.', k)] if m}
    if not ids or ids != set(range(len(ids))):
        raise KeyError(f'no complete run of blocks {prefix}0.. in the weights')
    return len(ids)


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
    required = ['backbone.patch_embed.weight', 'backbone.pos_embed', 'backbone.proj']
    missing = [k for k in required if k not in state]
    if missing:
        raise KeyError(f'the weights lack {missing}: a partial or non-CLIP checkpoint?')
    patch = state['backbone.patch_embed.weight']
    width, patch_size = patch.shape[0], patch.shape[-1]
    grid = int(round((state['backbone.pos_embed'].shape[0] - 1)**0.5))
    if grid * grid + 1 != state['backbone.pos_embed'].shape[0]:
        raise ValueError('backbone.pos_embed is not 1 + a square grid of positions')
    backbone = dict(
        type='umgclip_mm.UMGCLIPViT', img_size=grid * patch_size, patch_size=patch_size, embed_dims=width,
        num_layers=_num_layers(state, 'backbone.transformer.layers.'), num_heads=vision_heads or max(width // 64, 1),
        mlp_ratio=state['backbone.transformer.layers.0.mlp.fc1.weight'].shape[0] / width,
        output_dims=state['backbone.proj'].shape[1], act=act, ln_eps=ln_eps)
    text_encoder = infer_text_config(state, text_heads, act, ln_eps)
    return dict(type='umgclip_mm.UMGCLIP', backbone=backbone, text_encoder=text_encoder)


def infer_text_config(state: StateDict, text_heads: Optional[int] = None, act: str = 'quick_gelu',
                      ln_eps: float = 1e-5) -> dict:
    """The ``UMGCLIPTextEncoder`` config of the converted text tower in ``state`` (UMGCLIP keys)."""
    required = ['text_encoder.token_embedding.weight', 'text_encoder.pos_embed', 'text_encoder.proj']
    missing = [k for k in required if k not in state]
    if missing:
        raise KeyError(f'the weights lack {missing}: a partial or non-CLIP checkpoint?')
    text_width = state['text_encoder.token_embedding.weight'].shape[1]
    return dict(
        type='umgclip_mm.UMGCLIPTextEncoder', vocab_size=state['text_encoder.token_embedding.weight'].shape[0],
        context_length=state['text_encoder.pos_embed'].shape[0], embed_dims=text_width,
        num_layers=_num_layers(state, 'text_encoder.transformer.layers.'),
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
    eva = layout in ('eva02_open_clip', 'eva_clip')
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


def umgclip_to_hf(state: StateDict) -> StateDict:
    """The inverse of the Hugging Face conversion: UMGCLIP keys -> ``transformers.CLIPModel`` keys.

    Used to load the same weights into ``transformers`` for parity checks and side-by-side benchmarks.
    """
    top = {v: k for k, v in _HF_TOP.items()}
    block = {v: k for k, v in _HF_BLOCK.items()}
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
            out[f'{prefix}.{_rename(m.group(3), block)}'] = value
            continue
        new = _rename(key, top)
        if new is None:
            raise KeyError(f'no Hugging Face name for {key!r}')
        out[new] = value
    return out


def save_config(model_cfg: dict, path: str) -> None:
    """Write a config file (``default_scope`` + ``model``) that builds the model a converted checkpoint fits."""
    from mmengine.config import Config
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    Config(dict(default_scope='umgclip_mm', model=model_cfg)).dump(path)
