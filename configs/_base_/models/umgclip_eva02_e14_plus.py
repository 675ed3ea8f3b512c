# EVA02-CLIP-E/14-plus (open_clip EVA02-E-14-plus): the E/14 image tower with a larger text tower (width 1280,
# 32 layers).
_base_ = './umgclip_eva02_e14.py'
model = dict(text_encoder=dict(embed_dims=1280, num_layers=32, num_heads=20))
