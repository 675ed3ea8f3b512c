# The CLIP tower pairs (image and text tower, one umgclip_mm.UMGCLIP) as variables, one per published architecture.
# A config takes one whole, `model = _base_.umgclip_vitb16` (pretraining) or `model = dict(clip=...)` (a task model
# on a frozen UMG-CLIP), and a variant switches to another with `_base_.umgclip_<name>`; where the image tower's type
# changes (OpenAI-layout ViT <-> EVA02), it replaces the backbone block with `_delete_=True`.
# Architectures only: the weights come from each config's `init_cfg` (tools/model_converters/clip2umgclip.py turns
# published CLIP weights into them; its --save-config writes the same architecture read off the weights).
# Below, each variant is written as its changes to a sibling: dict(sibling, key=new value).

# OpenAI CLIP ViT-B/16: 224 px, 86M-parameter image tower, 512-d joint space.
umgclip_vitb16 = dict(
    type='umgclip_mm.UMGCLIP',
    backbone=dict(type='umgclip_mm.UMGCLIPViT', img_size=224, patch_size=16, embed_dims=768, num_layers=12,
                  num_heads=12, output_dims=512, act='quick_gelu', out_indices=(3, 5, 7, 11)),
    text_encoder=dict(type='umgclip_mm.UMGCLIPTextEncoder', context_length=77, embed_dims=512, num_layers=12,
                      num_heads=8, output_dims=512, act='quick_gelu'))
# CLIP ViT-B/32: 32 px patches.
umgclip_vitb32 = dict(umgclip_vitb16, backbone=dict(umgclip_vitb16['backbone'], patch_size=32))
# CLIP ViT-L/14: 24 layers of width 1024 at 14 px patches, 768-d joint space; text tower of width 768.
umgclip_vitl14 = dict(
    umgclip_vitb16,
    backbone=dict(umgclip_vitb16['backbone'], patch_size=14, embed_dims=1024, num_layers=24, num_heads=16,
                  output_dims=768, out_indices=(7, 11, 15, 23)),
    text_encoder=dict(umgclip_vitb16['text_encoder'], embed_dims=768, num_heads=12, output_dims=768))
# CLIP ViT-L/14@336px.
umgclip_vitl14_336 = dict(umgclip_vitl14, backbone=dict(umgclip_vitl14['backbone'], img_size=336))

# EVA02-CLIP-B/16 (open_clip EVA02-B-16): timm's EVA02 image tower (RoPE, SwiGLU, sub-layer norms), 512-d joint
# space; an OpenAI-style text tower of width 512 with GELU.
umgclip_eva02_b16 = dict(
    type='umgclip_mm.UMGCLIP',
    backbone=dict(type='umgclip_mm.EVA02CLIPViT', arch='eva02_base_patch16_clip_224', img_size=224, output_dims=512,
                  out_indices=(3, 5, 7, 11)),
    text_encoder=dict(umgclip_vitb16['text_encoder'], act='gelu'))
# EVA02-CLIP-L/14 (open_clip EVA02-L-14), the tower pair UMG-CLIP-L/14 starts from: 24 EVA02 blocks of width 1024
# at 14 px patches, 768-d joint space; text tower of width 768.
umgclip_eva02_l14 = dict(
    umgclip_eva02_b16,
    backbone=dict(umgclip_eva02_b16['backbone'], arch='eva02_large_patch14_clip_224', output_dims=768,
                  out_indices=(7, 11, 15, 23)),
    text_encoder=dict(umgclip_eva02_b16['text_encoder'], embed_dims=768, num_heads=12, output_dims=768))
# EVA02-CLIP-L/14@336px (open_clip EVA02-L-14-336).
umgclip_eva02_l14_336 = dict(umgclip_eva02_l14, backbone=dict(umgclip_eva02_l14['backbone'], img_size=336))
# EVA02-CLIP-E/14 (open_clip EVA02-E-14), the tower pair UMG-CLIP-E/14 starts from: 64 post-norm blocks of width
# 1792 (4.4B parameters), 1024-d joint space; text tower of width 1024, 24 layers.
umgclip_eva02_e14 = dict(
    umgclip_eva02_b16,
    backbone=dict(umgclip_eva02_b16['backbone'], arch='eva02_enormous_patch14_clip_224', output_dims=1024,
                  out_indices=(15, 31, 47, 63)),
    text_encoder=dict(umgclip_eva02_b16['text_encoder'], embed_dims=1024, num_layers=24, num_heads=16,
                      output_dims=1024))
# EVA02-CLIP-E/14-plus (open_clip EVA02-E-14-plus): the E/14 image tower, a text tower of width 1280, 32 layers.
umgclip_eva02_e14_plus = dict(
    umgclip_eva02_e14, text_encoder=dict(umgclip_eva02_e14['text_encoder'], embed_dims=1280, num_layers=32,
                                         num_heads=20))

# The toy world's pair (configs/quickstart: pretrained by pretrain_synthetic.py, frozen by panoptic_synthetic.py):
# 64 px, 8 px patches, 3 layers of width 96, a 64-d joint space, 75% cluster token reduction in training.
umgclip_toy = dict(
    umgclip_vitb16,
    backbone=dict(umgclip_vitb16['backbone'], img_size=64, patch_size=8, embed_dims=96, num_layers=3, num_heads=3,
                  output_dims=64, out_indices=(2, ), token_reduction=dict(type='cluster', keep_ratio=0.25, iters=3)),
    text_encoder=dict(umgclip_vitb16['text_encoder'], context_length=16, embed_dims=96, num_layers=2, num_heads=3,
                      output_dims=64))
