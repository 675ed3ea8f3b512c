# Open-vocabulary detection on OV-COCO with mmdet's runner, F-VLM's design: a Faster R-CNN (ViTDet's simple pyramid,
# RPN, RoI head with a text-embedding classifier) on a frozen UMG-CLIP ViT-B/16, trained on the 48 base classes
# (8 GPUs x 2 images, mmdet's 1x schedule with AdamW as for ViT detectors), evaluated on the 65 classes: box AP50 of
# base and novel classes apart (novel AP50 is the published figure), with the frozen UMG-CLIP's region scores
# ensembled before NMS. Commands: README.md beside this file.
_base_ = ['../_base_/models/ov_faster-rcnn_vit-pyramid.py', '../_base_/datasets/ov_coco_detection.py',
          'mmdet::_base_/schedules/schedule_1x.py', '../_base_/det_runtime.py']
default_scope = 'mmdet'

pretrained = 'checkpoints/umgclip_vit-b16_umg41m.pth'  # UMG-CLIP pretrained weights (configs/umgclip)
model = dict(
    clip=dict(init_cfg=dict(type='Pretrained', checkpoint=pretrained)),
    train_vocab=dict(_delete_=True, **_base_.train_vocab),
    test_vocab=_base_.test_vocab)
# AdamW for the trainable neck and heads (the tower is frozen), warm-up and steps at epochs 8 and 11 as mmdet's 1x
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-4, betas=(0.9, 0.999), weight_decay=0.1),
    clip_grad=dict(max_norm=1.0, norm_type=2),
    paramwise_cfg=dict(norm_decay_mult=0.0))
log_processor = dict(by_epoch=True)
default_hooks = dict(checkpoint=dict(by_epoch=True, interval=1, max_keep_ckpts=3))
