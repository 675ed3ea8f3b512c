# EVA02-CLIP-E/14 (open_clip EVA02-E-14), the tower UMG-CLIP-E/14 starts from: 64 post-norm blocks of width 1792
# (4.4B parameters), 1024-d joint space; text tower of width 1024, 24 layers.
_base_ = './umgclip_eva02_b16.py'
model = dict(
    backbone=dict(arch='eva02_enormous_patch14_clip_224', output_dims=1024, out_indices=(15, 31, 47, 63)),
    text_encoder=dict(embed_dims=1024, num_layers=24, num_heads=16, output_dims=1024))
