# mmdet's stock Mask R-CNN (1x, COCO) on the UMG-CLIP ViT-B/16 image tower, by registry name only: the tower is
# `umgclip_mm.UMGCLIPViT`, its last block becomes a pyramid (strides 4..64) by `umgclip_mm.ViTPyramidNeck` (ViTDet's
# simple feature pyramid); everything else is mmdet's own Mask R-CNN.
#   bash tools/dist_train.sh projects/umgclip_mask_rcnn/configs/mask-rcnn_umgclip-vit-b16_vit-pyramid_8xb2-1x_coco.py 8
_base_ = 'mmdet::mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py'
custom_imports = dict(imports=['umgclip_mm'])

# UMG-CLIP pretrained weights (tools/model_converters/clip2umgclip.py makes a published CLIP's the same way)
checkpoint = 'checkpoints/umgclip_vit-b16_umg41m.pth'
model = dict(
    # the tower was trained on inputs normalised with CLIP's mean/std (RGB), not ImageNet's
    data_preprocessor=dict(
        mean=[122.770938, 116.7460125, 104.09373615], std=[68.5005327, 66.6321579, 70.32316305], bgr_to_rgb=True,
        pad_size_divisor=32),
    backbone=dict(
        _delete_=True,
        type='umgclip_mm.UMGCLIPViT',
        img_size=224,  # the checkpoint's grid; other input sizes resize the position embedding on the fly
        patch_size=16,
        embed_dims=768,
        num_layers=12,
        num_heads=12,
        output_dims=512,
        act='quick_gelu',
        out_indices=(11, ),
        with_cp=True,  # recompute blocks in backward: global attention over ~4k tokens at 1333x800
        frozen=False,  # tuned; frozen=True keeps the tower as pretrained (then only neck and heads learn)
        init_cfg=dict(type='Pretrained', checkpoint=checkpoint, prefix='backbone.')),
    neck=dict(
        _delete_=True,
        type='umgclip_mm.ViTPyramidNeck',
        in_channels=768,
        out_channels=256,
        scale_factors=(4.0, 2.0, 1.0, 0.5),
        num_outs=5))  # strides 4, 8, 16, 32 and 64, what the stock RPN anchors and RoI extractors expect

# AdamW, as ViT detectors are trained; no decay on position embedding, class token and norms
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-4, betas=(0.9, 0.999), weight_decay=0.05),
    clip_grad=dict(max_norm=1.0, norm_type=2),
    paramwise_cfg=dict(custom_keys={'pos_embed': dict(decay_mult=0.), 'cls_token': dict(decay_mult=0.),
                                    'norm': dict(decay_mult=0.)}))
# the tower's post-norm and projection into the joint space (used by UMG-CLIP, not by a detector) get no gradient
find_unused_parameters = True
