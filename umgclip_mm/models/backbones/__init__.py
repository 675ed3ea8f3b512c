from .umgclip_vit import UMGCLIPViT, resize_pos_embed

__all__ = ['UMGCLIPViT', 'resize_pos_embed']
