# The open-vocabulary panoptic model (umgclip_mm.OVMask2Former) on a frozen UMG-CLIP ViT-B/16: a neck from the
# frozen tower's feature maps to a 4-level pyramid (mmseg's MultiLevelNeck), mmdet's Mask2Former pixel decoder,
# masked-attention decoder, Hungarian matching and losses with a text-embedding classifier, and FC-CLIP's
# ensemble. Sizes are Mask2Former's (COCO panoptic). Configs switch the tower with
# `model = dict(clip=...)` from the presets of umgclip_towers.py.
_base_ = ['./umgclip_towers.py', './ov_mask2former_head.py', './clip_preprocessors.py']
model = dict(
    type='umgclip_mm.OVMask2Former',
    clip=_base_.umgclip_vitb16,
    # CLIP's normalisation; semantic maps padded with 255
    data_preprocessor=dict(_base_.clip_det_preprocessor, mask_pad_value=0, pad_seg=True, seg_pad_value=255),
    # 16 px patches: strides 4..32 (the L/14 and E/14 configs set the tower's feature_stride=16 for the same strides)
    neck=dict(type='mmseg.MultiLevelNeck', out_channels=256, scales=[4, 2, 1, 0.5]),
    panoptic_head=_base_.ov_mask2former_head,
    panoptic_fusion_head=dict(type='umgclip_mm.OVMaskFormerFusionHead', loss_panoptic=None, init_cfg=None),
    train_cfg=_base_.ov_mask2former_train_cfg,
    # object_mask_thr 0 (Mask2Former: 0.8): the ensemble spreads probability over an open vocabulary, so few queries
    # would reach 0.8; mmdet's merge still drops a query that keeps under iou_thr of its mask (docs/paper_notes.md)
    test_cfg=dict(panoptic_on=True, semantic_on=False, instance_on=False, max_per_image=100, iou_thr=0.8,
                  object_mask_thr=0.0, filter_low_score=True),
    train_vocab=dict(dataset='mmdet.CocoPanopticDataset'),  # Mask2Former's default: COCO panoptic's 133 classes
    # the default prompt templates; class embeddings cached in the machine's shared folder ('default':
    # $UMGCLIP_CACHE_DIR/text_embeddings, else ~/.cache/umgclip_mm/text_embeddings; None: memory only)
    vocab_encoder=dict(type='umgclip_mm.VocabularyEncoder', cache_dir='default'),
    # FC-CLIP's geometric ensemble of the head's and the frozen UMG-CLIP's class probabilities; None turns it off
    ensemble=dict(type='umgclip_mm.OOVEnsemble', alpha=0.4, beta=0.8))
# Checks the data sets' classes, the model's vocabularies and the metric's unseen list against each other before
# training, validation and testing.
custom_hooks = [dict(type='umgclip_mm.VocabularyCheckHook')]
