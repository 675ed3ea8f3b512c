# The trainable parts of the open-vocabulary panoptic model (umgclip_mm.OVMask2Former): a neck from the frozen ViT's
# feature maps to a 4-level pyramid (mmseg's MultiLevelNeck), and mmdet's Mask2Former pixel decoder, masked-attention
# decoder, Hungarian matching and losses, with a text-embedding classifier. Sizes are Mask2Former's (COCO panoptic).
# ov_mask2former_{vitb16,vitl14,toy}.py compose them with a tower pair.
ov_neck = dict(type='mmseg.MultiLevelNeck', out_channels=256, scales=[4, 2, 1, 0.5])  # ViT-*/16: strides 4..32
ov_head = dict(
    type='umgclip_mm.OVMask2FormerHead',
    in_channels=[256, 256, 256, 256],
    strides=[4, 8, 16, 32],
    feat_channels=256,
    out_channels=256,
    num_queries=100,
    num_transformer_feat_level=3,
    void_weight=0.1,
    pixel_decoder=dict(
        type='MSDeformAttnPixelDecoder',
        num_outs=3,
        norm_cfg=dict(type='GN', num_groups=32),
        act_cfg=dict(type='ReLU'),
        encoder=dict(
            num_layers=6,
            layer_cfg=dict(
                self_attn_cfg=dict(embed_dims=256, num_heads=8, num_levels=3, num_points=4, dropout=0.0,
                                   batch_first=True),
                ffn_cfg=dict(embed_dims=256, feedforward_channels=1024, num_fcs=2, ffn_drop=0.0,
                             act_cfg=dict(type='ReLU', inplace=True)))),
        positional_encoding=dict(num_feats=128, normalize=True)),
    enforce_decoder_input_project=False,
    positional_encoding=dict(num_feats=128, normalize=True),
    transformer_decoder=dict(
        return_intermediate=True,
        num_layers=9,
        layer_cfg=dict(
            self_attn_cfg=dict(embed_dims=256, num_heads=8, dropout=0.0, batch_first=True),
            cross_attn_cfg=dict(embed_dims=256, num_heads=8, dropout=0.0, batch_first=True),
            ffn_cfg=dict(embed_dims=256, feedforward_channels=2048, num_fcs=2, ffn_drop=0.0,
                         act_cfg=dict(type='ReLU', inplace=True))),
        init_cfg=None),
    loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=2.0, reduction='mean'),
    loss_mask=dict(type='CrossEntropyLoss', use_sigmoid=True, reduction='mean', loss_weight=5.0),
    loss_dice=dict(type='DiceLoss', use_sigmoid=True, activate=True, reduction='mean', naive_dice=True, eps=1.0,
                   loss_weight=5.0))
ov_fusion_head = dict(type='MaskFormerFusionHead', loss_panoptic=None, init_cfg=None)
ov_train_cfg = dict(
    num_points=12544,
    oversample_ratio=3.0,
    importance_sample_ratio=0.75,
    assigner=dict(
        type='HungarianAssigner',
        match_costs=[
            dict(type='ClassificationCost', weight=2.0),
            dict(type='CrossEntropyLossCost', weight=5.0, use_sigmoid=True),
            dict(type='DiceCost', weight=5.0, pred_act=True, eps=1.0)
        ]),
    sampler=dict(type='MaskPseudoSampler'))
ov_test_cfg = dict(panoptic_on=True, semantic_on=False, instance_on=False, max_per_image=100, iou_thr=0.8,
                   object_mask_thr=0.0,  # see below
                   filter_low_score=True)
# FC-CLIP's geometric ensemble of the head's and the frozen UMG-CLIP's class probabilities
ov_ensemble = dict(alpha=0.4, beta=0.8)
# CLIP's mean/std in 0-255 RGB (umgclip_mm.models.pretrainers.umgclip.CLIP_MEAN / CLIP_STD)
ov_data_preprocessor = dict(
    type='mmdet.DetDataPreprocessor',
    mean=[122.770938, 116.7460125, 104.09373615],
    std=[68.5005327, 66.6321579, 70.32316305],
    bgr_to_rgb=True,
    pad_size_divisor=32,
    pad_mask=True,
    mask_pad_value=0,
    pad_seg=True,
    seg_pad_value=255)
