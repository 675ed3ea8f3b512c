# The flagship on a frozen UMG-CLIP ViT-L/14 (OpenAI layout).
#   python tools/train.py configs/umgclip/panoptic_coco_vitl14.py [--amp]
# Weights: python tools/model_converters/clip2umgclip.py ViT-L-14.pt checkpoints/umgclip_vitl14.pth (or pretrain).
_base_ = ['../_base_/models/ov_mask2former_vitl14.py', '../_base_/datasets/coco_panoptic_ov.py',
          '../_base_/schedules/panoptic_50e.py', '../_base_/default_runtime.py']
default_scope = 'mmdet'

pretrained = 'checkpoints/umgclip_vitl14.pth'
model = dict(
    clip=dict(init_cfg=dict(type='Pretrained', checkpoint=pretrained), backbone=dict(with_cp=True)),
    data_preprocessor=dict(batch_augments={{_base_.batch_augments}}),
    train_vocab={{_base_.vocab}},
    test_vocab={{_base_.vocab}})
default_hooks = dict(checkpoint=dict(save_last=True, interval={{_base_.interval}}))
