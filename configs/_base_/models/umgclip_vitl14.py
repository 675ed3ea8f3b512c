# CLIP ViT-L/14: 224 px, 24 layers of width 1024, 768-d joint space; text tower of width 768.
_base_ = './umgclip_vitb16.py'
model = dict(
    backbone=dict(patch_size=14, embed_dims=1024, num_layers=24, num_heads=16, output_dims=768,
                  out_indices=(7, 11, 15, 23)),
    text_encoder=dict(embed_dims=768, num_heads=12, output_dims=768))
