# mmseg's stock UPerNet on a plain ViT (ADE20K, 512x512, 80k) with the UMG-CLIP ViT-B/16 image tower, by registry
# name only: the tower is `umgclip_mm.UMGCLIPViT`; mmseg's own MultiLevelNeck, UPerHead and FCN auxiliary head.
#   bash tools/dist_train.sh projects/umgclip_upernet/configs/upernet_umgclip-vit-b16_mln_8xb2-80k_ade20k-512x512.py 8
_base_ = 'mmseg::vit/vit_vit-b16_mln_upernet_8xb2-80k_ade20k-512x512.py'
custom_imports = dict(imports=['umgclip_mm'])

model = dict(
    # the tower was trained on inputs normalised with CLIP's mean/std (RGB), not ImageNet's
    data_preprocessor=dict(
        mean=[122.770938, 116.7460125, 104.09373615], std=[68.5005327, 66.6321579, 70.32316305], bgr_to_rgb=True),
    # mmseg hands `pretrained` to the backbone, which loads the image tower of a UMG-CLIP checkpoint
    # (init_cfg=dict(type='Pretrained', checkpoint=..., prefix='backbone.'))
    pretrained='checkpoints/umgclip_vit-b16_umg41m.pth',
    backbone=dict(
        _delete_=True,
        type='umgclip_mm.UMGCLIPViT',
        img_size=224,  # the checkpoint's grid; 512x512 crops resize the position embedding on the fly
        patch_size=16,
        embed_dims=768,
        num_layers=12,
        num_heads=12,
        output_dims=512,
        act='quick_gelu',
        out_indices=(2, 5, 8, 11),  # the four maps the base's MultiLevelNeck turns into strides 4, 8, 16, 32
        frozen=False))  # tuned; frozen=True keeps the tower as pretrained (then only neck and heads learn)

# the tower's post-norm and projection into the joint space (used by UMG-CLIP, not by a segmentor) get no gradient
find_unused_parameters = True
