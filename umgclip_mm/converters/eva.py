"""EVA02-CLIP image towers: open_clip's EVA02 models (``visual.trunk.*``) and the original EVA-CLIP release
(``visual.*``) -> ``EVA02CLIPViT`` (timm's ``Eva``) config and keys; their text towers are open_clip's."""
from typing import Optional

import torch

from .common import StateDict, num_layers
from .openai import convert_openai


def eva_prefix(layout: str) -> str:
    """Where the image tower's keys start: ``visual.trunk.`` (open_clip) or ``visual.`` (EVA-CLIP)."""
    return 'visual.trunk.' if layout == 'eva02_open_clip' else 'visual.'


def infer_eva02_backbone(state: StateDict, layout: str, vision_heads: Optional[int] = None) -> dict:
    """The ``EVA02CLIPViT`` config of the EVA image tower in a source state dict (open_clip or EVA-CLIP keys).

    The published towers (B/16, L/14 at 224 or 336 px, E/14) are recognised by width, depth and patch size and get
    timm's architecture (``EVA02_ARCHS``), including what weights cannot show (rotary grid, post-norm). Other sizes
    are built from what the weights show, as pre-norm blocks with rotary embeddings at the trained grid and
    ``vision_heads`` (default ``width // 64``) heads.

    Args:
        state (dict): The source state dict.
        layout (str): ``'eva02_open_clip'`` or ``'eva_clip'``.
        vision_heads (int, optional): Heads of a custom (unpublished) tower.
    """
    from umgclip_mm.models.backbones.eva02_clip_vit import EVA02_ARCHS
    p = eva_prefix(layout)
    patch = state[p + 'patch_embed.proj.weight']
    width, patch_size = patch.shape[0], patch.shape[-1]
    depth = num_layers(state, p + 'blocks.')
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


def convert_eva(state: StateDict, backbone_cfg: dict) -> StateDict:
    """Image tower through timm's own EVA checkpoint filter (it maps open_clip and EVA-CLIP keys onto timm's
    ``Eva``), text tower and ``logit_scale`` as open_clip's.

    Args:
        state (dict): The source state dict.
        backbone_cfg (dict): The tower's config, from :func:`infer_eva02_backbone`.
    """
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
    out = convert_openai({k: v for k, v in state.items() if not k.startswith('visual.')})
    out.update((f'backbone.trunk.{k}', v) for k, v in trunk.items())
    return out
