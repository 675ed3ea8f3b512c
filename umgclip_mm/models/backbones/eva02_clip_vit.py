"""EVA02CLIPViT: the EVA02-CLIP image tower (timm's Eva) with the same global and dense outputs as UMGCLIPViT."""
from typing import Optional, Sequence, Tuple, Union

import torch
from mmdet.utils import OptConfigType, OptMultiConfig

from umgclip_mm.registry import MODELS
from .base_image_tower import BaseImageTower, Grid

# The EVA02-CLIP image towers, as timm builds them (timm.models.eva): architecture facts of the published models.
# ``ref_feat_shape`` is the grid the rotary embedding was trained at; it cannot be read off the weights.
EVA02_ARCHS = {
    'eva02_base_patch16_clip_224': dict(  # EVA02-CLIP-B/16
        patch_size=16, embed_dim=768, depth=12, num_heads=12, qkv_fused=False, mlp_ratio=4 * 2 / 3,
        swiglu_mlp=True, scale_mlp=True, scale_attn_inner=True, use_rot_pos_emb=True, ref_feat_shape=(16, 16)),
    'eva02_large_patch14_clip_224': dict(  # EVA02-CLIP-L/14 (and L/14@336 with img_size=336)
        patch_size=14, embed_dim=1024, depth=24, num_heads=16, qkv_fused=False, mlp_ratio=4 * 2 / 3,
        swiglu_mlp=True, scale_mlp=True, scale_attn_inner=True, use_rot_pos_emb=True, ref_feat_shape=(16, 16)),
    'eva02_enormous_patch14_clip_224': dict(  # EVA02-CLIP-E/14 and E/14-plus (same image tower)
        patch_size=14, embed_dim=1792, depth=64, num_heads=16, mlp_ratio=15360 / 1792, use_post_norm=True),
}


@MODELS.register_module()
class EVA02CLIPViT(BaseImageTower):
    """The EVA02-CLIP image tower, a wrapper of ``timm.models.eva.Eva`` (rotary position embeddings, SwiGLU MLPs,
    sub-layer norms; E/14: post-norm blocks), with :class:`BaseImageTower`'s outputs, so that every pooler, head
    and config works with either tower by changing only the backbone block.

    The wrapped model is ``trunk`` with timm's parameter names (open_clip's ``visual.trunk.*``); its classifier head
    (``num_classes = output_dims``) is the projection into the joint space and ``global_pool='token'`` pools the
    class token, as open_clip builds EVA02-CLIP. It runs at any input size (``dynamic_img_size``: the absolute
    position embedding is resized bicubically, the rotary one is recomputed for the grid).

    Args:
        arch (str | dict): A key of ``EVA02_ARCHS`` (timm's EVA02-CLIP model names), or the ``Eva`` arguments of a
            custom tower (``patch_size``, ``embed_dim``, ``depth``, ``num_heads``, ...).
        img_size (int): Size the absolute position embedding is trained for.
        output_dims (int): Width of the joint image-text space.
        out_indices (Sequence[int]): Blocks whose outputs ``forward`` returns as ``[B, C, h, w]`` maps.
        dense_mode (str): Only ``'plain'``: the last block's patch tokens through the final norm and projection.
        token_reduction (dict, optional): See :class:`BaseImageTower` (training only). A merged cluster takes the
            rotary position of its medoid patch; a randomly kept patch keeps its own.
        with_cp (bool): Activation checkpointing of every block.
        frozen (bool): Freeze every parameter and keep the tower in eval mode.
        pretrained (str, optional): mmseg's backbone argument, see :class:`BaseImageTower`.
        init_cfg (dict, optional): Initialisation, e.g. ``dict(type='Pretrained', checkpoint=...)``.
        feature_stride (int, optional): Input pixels per output grid cell; see :class:`BaseImageTower` (timm's
            patch embedding refuses sides that are not multiples of the patch size: they are padded here).
        **kwargs: Overrides of the ``Eva`` arguments (e.g. ``drop_path_rate``).
    """

    def __init__(self,
                 arch: Union[str, dict] = 'eva02_base_patch16_clip_224',
                 img_size: int = 224,
                 output_dims: int = 512,
                 out_indices: Sequence[int] = (-1, ),
                 dense_mode: str = 'plain',
                 token_reduction: OptConfigType = None,
                 with_cp: bool = False,
                 frozen: bool = False,
                 pretrained: Optional[str] = None,
                 init_cfg: OptMultiConfig = None,
                 feature_stride: Optional[int] = None,
                 **kwargs):
        from timm.models.eva import Eva
        if isinstance(arch, str):
            if arch not in EVA02_ARCHS:
                raise KeyError(f'unknown EVA02 arch {arch!r}; known: {sorted(EVA02_ARCHS)}, or a dict of Eva args')
            arch = EVA02_ARCHS[arch]
        args = dict(arch, **kwargs)
        super().__init__(args['patch_size'], args['embed_dim'], args['depth'], output_dims, out_indices, dense_mode,
                         token_reduction, with_cp, frozen, pretrained, init_cfg, feature_stride=feature_stride)
        self.trunk = Eva(img_size=img_size, num_classes=output_dims, global_pool='token', dynamic_img_size=True,
                         **args)
        self.num_prefix_tokens = self.trunk.num_prefix_tokens  # the class token (and register tokens, if any)
        self.img_size = (img_size, img_size)
        self.grid_size = (img_size // self.patch_size, img_size // self.patch_size)
        self._freeze()

    def embed(self, x: torch.Tensor) -> Tuple[torch.Tensor, Grid, Optional[torch.Tensor]]:
        """timm's patch embedding, class token, absolute position embedding and pre-norm; the rotary embedding of
        the grid (``[h * w, D]``, None for towers without one)."""
        t = self.trunk
        x = t.patch_embed(x)  # [B, h, w, C]
        grid = (x.shape[1], x.shape[2])
        x, rope = t._pos_embed(x)
        return t.norm_pre(x), grid, rope

    def run_block(self, index: int, x: torch.Tensor, attn_mask: Optional[torch.Tensor] = None,
                  pos: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Run timm's block ``index`` with the rotary embedding ``pos`` (``[B, K, D]`` after token reduction: one
        per image, broadcast over the heads)."""
        if pos is not None and pos.dim() == 3:
            pos = pos[:, None]
        return self.trunk.blocks[index](x, rope=pos, attn_mask=attn_mask)

    def project(self, tokens: torch.Tensor) -> torch.Tensor:
        """Final norm and projection into the joint space: ``[..., C] -> [..., output_dims]``."""
        t = self.trunk
        return t.head(t.fc_norm(t.norm(tokens)))
