from .base_image_tower import BaseImageTower
from .eva02_clip_vit import EVA02_ARCHS, EVA02CLIPViT
from .umgclip_vit import UMGCLIPViT

__all__ = ['BaseImageTower', 'EVA02CLIPViT', 'EVA02_ARCHS', 'UMGCLIPViT']
