# Open-vocabulary panoptic segmentation, the flagship: Mask2Former on a frozen UMG-CLIP ViT-B/16, trained on COCO
# panoptic (133 classes; 8 GPUs x 2 images, Mask2Former's 50-epoch schedule with large-scale jitter), evaluated on
# COCO val2017. Commands and checkpoint names: README.md beside this file.
_base_ = ['../_base_/models/ov_mask2former.py', '../_base_/datasets/coco_panoptic_ov.py',
          '../_base_/schedules/panoptic_50e.py', '../_base_/det_runtime.py']
default_scope = 'mmdet'

pretrained = 'checkpoints/umgclip_vit-b16_umg41m.pth'  # UMG-CLIP pretrained weights (configs/umgclip)
model = dict(
    clip=dict(init_cfg=dict(type='Pretrained', checkpoint=pretrained)),
    data_preprocessor=dict(batch_augments=_base_.batch_augments),
    train_vocab=_base_.vocab,
    test_vocab=_base_.vocab)
default_hooks = dict(checkpoint=dict(save_last=True, interval=_base_.interval))
