# EVA02-CLIP-L/14 (open_clip EVA02-L-14), the tower UMG-CLIP-L/14 starts from: 24 EVA02 blocks of width 1024 at
# 14 px patches, 768-d joint space; text tower of width 768.
_base_ = './umgclip_eva02_b16.py'
model = dict(
    backbone=dict(arch='eva02_large_patch14_clip_224', output_dims=768, out_indices=(7, 11, 15, 23)),
    text_encoder=dict(embed_dims=768, num_heads=12, output_dims=768))
