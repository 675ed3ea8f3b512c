# The open-vocabulary panoptic model (umgclip_mm.OVMask2Former) on a frozen UMG-CLIP ViT-B/16: a neck from the
# frozen tower's feature maps to a 4-level pyramid (mmseg's MultiLevelNeck), mmdet's Mask2Former pixel decoder,
# masked-attention decoder, Hungarian matching and losses with a text-embedding classifier, and FC-CLIP's
# out-of-vocabulary branch. Sizes are Mask2Former's (COCO panoptic). Configs switch the tower with
# `model = dict(clip=...)` from the presets of umgclip_towers.py.
_base_ = './umgclip_towers.py'
model = dict(
    type='umgclip_mm.OVMask2Former',
    clip=_base_.umgclip_vitb16,
    # CLIP's mean/std in 0-255 RGB (umgclip_mm.models.pretrainers.umgclip.CLIP_MEAN / CLIP_STD)
    data_preprocessor=dict(
        type='mmdet.DetDataPreprocessor',
        mean=[122.770938, 116.7460125, 104.09373615],
        std=[68.5005327, 66.6321579, 70.32316305],
        bgr_to_rgb=True,
        pad_size_divisor=32,
        pad_mask=True,
        mask_pad_value=0,
        pad_seg=True,
        seg_pad_value=255),
    # 16 px patches: strides 4..32; at 14 px patches the pyramid is at strides 3.5..28 (the decoder is stride-free)
    neck=dict(type='mmseg.MultiLevelNeck', out_channels=256, scales=[4, 2, 1, 0.5]),
    panoptic_head=dict(
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
                       loss_weight=5.0)),
    panoptic_fusion_head=dict(type='umgclip_mm.OVMaskFormerFusionHead', loss_panoptic=None, init_cfg=None),
    train_cfg=dict(
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
        sampler=dict(type='MaskPseudoSampler')),
    # object_mask_thr 0 (Mask2Former: 0.8): the ensemble spreads probability over an open vocabulary, so few queries
    # would reach 0.8; mmdet's merge still drops a query that keeps under iou_thr of its mask (docs/paper_notes.md)
    test_cfg=dict(panoptic_on=True, semantic_on=False, instance_on=False, max_per_image=100, iou_thr=0.8,
                  object_mask_thr=0.0, filter_low_score=True),
    train_vocab=dict(dataset='mmdet.CocoPanopticDataset'),  # Mask2Former's default: COCO panoptic's 133 classes
    vocab_encoder=dict(type='umgclip_mm.VocabularyEncoder', cache_dir=None),  # the default prompt templates
    # FC-CLIP's geometric ensemble of the head's and the frozen UMG-CLIP's class probabilities; None turns it off
    ensemble=dict(type='umgclip_mm.OOVScorer', alpha=0.4, beta=0.8))
# Checks the data sets' classes, the model's vocabularies and the metric's unseen list against each other before
# training, validation and testing.
custom_hooks = [dict(type='umgclip_mm.VocabularyCheckHook')]
