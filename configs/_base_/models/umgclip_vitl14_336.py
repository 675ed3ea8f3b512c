# CLIP ViT-L/14@336px.
_base_ = './umgclip_vitl14.py'
model = dict(backbone=dict(img_size=336))
