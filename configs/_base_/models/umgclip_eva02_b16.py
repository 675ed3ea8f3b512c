# EVA02-CLIP-B/16 (open_clip EVA02-B-16): timm's EVA02 image tower (RoPE, SwiGLU, sub-layer norms), 512-d joint
# space; an OpenAI-style text tower of width 512 with GELU.
#   python tools/model_converters/clip2umgclip.py EVA02-B-16.bin checkpoints/umgclip_eva02_b16.pth
model = dict(
    type='umgclip_mm.UMGCLIP',
    backbone=dict(type='umgclip_mm.EVA02CLIPViT', arch='eva02_base_patch16_clip_224', img_size=224, output_dims=512,
                  out_indices=(3, 5, 7, 11)),
    text_encoder=dict(type='umgclip_mm.UMGCLIPTextEncoder', context_length=77, embed_dims=512, num_layers=12,
                      num_heads=8, output_dims=512, act='gelu'))
