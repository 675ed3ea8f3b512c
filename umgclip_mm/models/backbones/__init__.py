from .eva02_clip_vit import EVA02_ARCHS, EVA02CLIPViT
from .umgclip_vit import UMGCLIPViT, resize_pos_embed

__all__ = ['EVA02CLIPViT', 'EVA02_ARCHS', 'UMGCLIPViT', 'resize_pos_embed']
