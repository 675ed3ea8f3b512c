# Open-vocabulary detection on OV-COCO with mmdet's runner, F-VLM's design: a Faster R-CNN (ViTDet's simple pyramid,
# RPN, RoI head with a text-embedding classifier) on a frozen UMG-CLIP ViT-B/16, trained on the 48 base classes
# (8 GPUs x 2 images, mmdet's 1x schedule with AdamW as for ViT detectors), evaluated on the 65 classes: box AP50 of
# base and novel classes apart (novel AP50 is the published figure), with the frozen UMG-CLIP's box scores
# ensembled before NMS. Commands: README.md beside this file.
_base_ = ['../_base_/models/ov_faster-rcnn_vit-pyramid.py', '../_base_/datasets/ov_coco_detection.py',
          '../_base_/schedules/detection_adamw_1x.py', '../_base_/det_runtime.py']
default_scope = 'mmdet'

pretrained = 'checkpoints/umgclip_vit-b16_umg41m.pth'  # UMG-CLIP pretrained weights (configs/umgclip)
model = dict(
    clip=dict(init_cfg=dict(type='Pretrained', checkpoint=pretrained)),
    train_vocab=dict(_delete_=True, **_base_.train_vocab),
    test_vocab=_base_.test_vocab)
log_processor = dict(by_epoch=True)
default_hooks = dict(checkpoint=dict(by_epoch=True, interval=1, max_keep_ckpts=3))
