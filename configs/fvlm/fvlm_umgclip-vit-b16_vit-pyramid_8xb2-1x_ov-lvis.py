# Open-vocabulary instance segmentation on OV-LVIS with mmdet's runner, F-VLM's design: the OV-COCO detector
# (fvlm_umgclip-vit-b16_vit-pyramid_8xb2-1x_ov-coco.py) with a class-agnostic mask head, trained on the frequent and
# common classes (866; repeat-factor sampling), evaluated on all 1203 with mmdet's LVISMetric: mask APr (the rare
# classes, unseen in training) is the published figure. Commands: README.md beside this file.
_base_ = ['../_base_/models/ov_faster-rcnn_vit-pyramid.py', '../_base_/datasets/ov_lvis_instance.py',
          '../_base_/schedules/detection_adamw_1x.py', '../_base_/det_runtime.py']
default_scope = 'mmdet'

pretrained = 'checkpoints/umgclip_vit-b16_umg41m.pth'  # UMG-CLIP pretrained weights (configs/umgclip)
model = dict(
    clip=dict(init_cfg=dict(type='Pretrained', checkpoint=pretrained)),
    roi_head=dict(
        # Mask R-CNN's mask branch (mask-rcnn_r50_fpn.py), class-agnostic: no weight depends on the vocabulary
        mask_roi_extractor=dict(type='SingleRoIExtractor', roi_layer=dict(type='RoIAlign', output_size=14,
                                                                          sampling_ratio=0),
                                out_channels=256, featmap_strides=[4, 8, 16, 32]),
        mask_head=dict(type='FCNMaskHead', num_convs=4, in_channels=256, conv_out_channels=256, num_classes=1,
                       class_agnostic=True, loss_mask=dict(type='CrossEntropyLoss', use_mask=True, loss_weight=1.0))),
    train_cfg=dict(rcnn=dict(mask_size=28)),
    # mmdet's LVIS test settings (mask-rcnn_r50_fpn_sample1e-3_ms-2x_lvis-v1): many low-score detections per image
    test_cfg=dict(rcnn=dict(score_thr=0.0001, max_per_img=300, mask_thr_binary=0.5)),
    train_vocab=dict(_delete_=True, **_base_.train_vocab),
    test_vocab=_base_.test_vocab)
log_processor = dict(by_epoch=True)
default_hooks = dict(checkpoint=dict(by_epoch=True, interval=1, max_keep_ckpts=3))
