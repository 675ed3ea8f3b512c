# The open-vocabulary two-stage detector (umgclip_mm.OVTwoStageDetector, F-VLM's design) on a frozen UMG-CLIP
# ViT-B/16: ViTDet's simple pyramid (strides 4..64) on the tower's last block, mmdet's Faster R-CNN RPN and RoI head
# (faster-rcnn_r50_fpn.py) with a text-embedding classifier plus learned background and class-agnostic regression,
# and the frozen UMG-CLIP's own box scores ensembled before NMS. Configs switch the tower with
# `model = dict(clip=...)`, add a class-agnostic mask head for instance masks (OV-LVIS), and set the vocabularies.
_base_ = ['mmdet::_base_/models/faster-rcnn_r50_fpn.py', './umgclip_towers.py', './clip_preprocessors.py']
model = dict(
    _delete_=True,
    type='umgclip_mm.OVTwoStageDetector',
    clip=dict(_base_.umgclip_vitb16, backbone=dict(_base_.umgclip_vitb16.backbone, out_indices=(11, ))),
    data_preprocessor=_base_.clip_det_preprocessor,  # CLIP's normalisation
    neck=dict(type='umgclip_mm.ViTPyramidNeck', out_channels=256, scale_factors=(4.0, 2.0, 1.0, 0.5), num_outs=5),
    rpn_head=_base_.model.rpn_head,
    roi_head=dict(
        _base_.model.roi_head,
        type='umgclip_mm.OVStandardRoIHead',
        bbox_head=dict(_base_.model.roi_head.bbox_head, type='umgclip_mm.OVShared2FCBBoxHead',
                       reg_class_agnostic=True)),
    train_cfg=_base_.model.train_cfg,
    test_cfg=_base_.model.test_cfg,
    # mmdet's default: COCO's 80 classes; configs replace it with their data set's (`dict(_delete_=True, ...)`,
    # e.g. OV-COCO's 48 base classes) and add its test_vocab
    train_vocab=dict(dataset='mmdet.CocoDataset'),
    # the default prompt templates; class embeddings cached in the machine's shared folder ('default':
    # $UMGCLIP_CACHE_DIR/text_embeddings, else ~/.cache/umgclip_mm/text_embeddings; None: memory only)
    vocab_encoder=dict(type='umgclip_mm.VocabularyEncoder', cache_dir='default'),
    # F-VLM's geometric ensemble of the detector's and the frozen UMG-CLIP's box scores (docs/paper_notes.md);
    # None turns the ensemble off
    ensemble=dict(type='umgclip_mm.OOVEnsemble', alpha=0.35, beta=0.65))
custom_hooks = [dict(type='umgclip_mm.VocabularyCheckHook')]
