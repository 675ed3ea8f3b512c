# CLIP ViT-B/32: as ViT-B/16 with 32-pixel patches.
_base_ = './umgclip_vitb16.py'
model = dict(backbone=dict(patch_size=32))
