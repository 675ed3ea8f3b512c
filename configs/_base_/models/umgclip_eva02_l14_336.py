# EVA02-CLIP-L/14@336px (open_clip EVA02-L-14-336).
_base_ = './umgclip_eva02_l14.py'
model = dict(backbone=dict(img_size=336))
