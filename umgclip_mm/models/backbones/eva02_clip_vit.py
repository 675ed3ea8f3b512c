"""EVA02CLIPViT: the EVA02-CLIP image tower (timm's Eva) with the same global and dense outputs as UMGCLIPViT."""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
from mmengine.model import BaseModule
from torch.utils.checkpoint import checkpoint

from umgclip_mm.registry import MODELS

from ..layers.token_reduction import check_token_reduction, kept_positions, reduce_patch_tokens, restore_patch_grid

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
class EVA02CLIPViT(BaseModule):
    """The EVA02-CLIP image tower, a wrapper of ``timm.models.eva.Eva`` (rotary position embeddings, SwiGLU MLPs,
    sub-layer norms; E/14: post-norm blocks), exposing :class:`UMGCLIPViT`'s contract so that every pooler, head
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
        token_reduction (dict, optional): As :class:`UMGCLIPViT` (training only). A merged cluster takes the
            rotary position of its medoid patch; a randomly kept patch keeps its own.
        with_cp (bool): Activation checkpointing of every block.
        frozen (bool): Freeze every parameter and keep the tower in eval mode.
        init_cfg (dict, optional): Initialisation, e.g. ``dict(type='Pretrained', checkpoint=...)``.
        **kwargs: Overrides of the ``Eva`` arguments (e.g. ``drop_path_rate``).
    """

    def __init__(self,
                 arch: Union[str, dict] = 'eva02_base_patch16_clip_224',
                 img_size: int = 224,
                 output_dims: int = 512,
                 out_indices: Sequence[int] = (-1, ),
                 dense_mode: str = 'plain',
                 token_reduction: Optional[dict] = None,
                 with_cp: bool = False,
                 frozen: bool = False,
                 init_cfg: Optional[dict] = None,
                 **kwargs):
        super().__init__(init_cfg)
        from timm.models.eva import Eva
        if isinstance(arch, str):
            if arch not in EVA02_ARCHS:
                raise KeyError(f'unknown EVA02 arch {arch!r}; known: {sorted(EVA02_ARCHS)}, or a dict of Eva args')
            arch = EVA02_ARCHS[arch]
        if dense_mode != 'plain':
            raise ValueError("EVA02CLIPViT supports dense_mode='plain' only")
        args = dict(arch, **kwargs)
        self.trunk = Eva(img_size=img_size, num_classes=output_dims, global_pool='token', dynamic_img_size=True,
                         **args)
        self.patch_size = args['patch_size']
        self.img_size = (img_size, img_size)
        self.grid_size = (img_size // self.patch_size, img_size // self.patch_size)
        self.embed_dims = args['embed_dim']
        self.num_layers = args['depth']
        self.output_dims = output_dims
        self.out_indices = sorted(i % self.num_layers for i in out_indices)
        self.dense_mode = dense_mode
        self.token_reduction = check_token_reduction(token_reduction)
        self.with_cp = with_cp
        self.frozen = frozen
        if frozen:
            self.requires_grad_(False)

    def train(self, mode: bool = True) -> 'EVA02CLIPViT':
        """Set train mode, except that a frozen tower stays in eval mode."""
        return super().train(mode and not self.frozen)

    def project(self, tokens: torch.Tensor) -> torch.Tensor:
        """Final norm and projection into the joint space: ``[..., C] -> [..., output_dims]``."""
        t = self.trunk
        return t.head(t.fc_norm(t.norm(tokens)))

    def forward_features(self, x: torch.Tensor, with_dense: bool = True) -> Dict[str, Union[torch.Tensor, List]]:
        """Run the tower once; the same outputs as :meth:`UMGCLIPViT.forward_features`."""
        t = self.trunk
        x = t.patch_embed(x)  # [B, h, w, C]
        B, h, w, _ = x.shape
        x, rope = t._pos_embed(x)
        x = t.norm_pre(x)
        info, attn_mask = None, None
        if self.token_reduction and self.training:
            patches, info = reduce_patch_tokens(x[:, 1:], self.token_reduction)
            x = torch.cat([x[:, :1], patches], 1)
            if rope is not None:  # each reduced token reads the rotary embedding at its (medoid) patch
                rope = rope[kept_positions(info)][:, None]
            attn_mask = info.get('attn_mask')
        feature_maps = []
        for i, blk in enumerate(t.blocks):
            if self.with_cp and x.requires_grad:
                x = checkpoint(blk, x, rope=rope, attn_mask=attn_mask, use_reentrant=False)
            else:
                x = blk(x, rope=rope, attn_mask=attn_mask)
            if i in self.out_indices:
                tokens, _ = restore_patch_grid(x[:, 1:], info)
                feature_maps.append(tokens.transpose(1, 2).reshape(B, self.embed_dims, h, w))
        out = dict(global_embeds=self.project(x[:, 0]), feature_maps=feature_maps, grid=(h, w))
        if with_dense:
            tokens, valid = restore_patch_grid(x[:, 1:], info)
            out['dense_tokens'] = tokens.transpose(1, 2).reshape(B, self.embed_dims, h, w)
            out['dense_proj'] = self.project(tokens).transpose(1, 2).reshape(B, self.output_dims, h, w)
            out['valid'] = None if valid is None else valid.reshape(B, 1, h, w)
        return out

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """Feature maps ``[B, C, h, w]`` at ``out_indices``, the backbone contract of mmdet / mmseg necks."""
        return tuple(self.forward_features(x, with_dense=False)['feature_maps'])
