# Open-vocabulary panoptic segmentation, the flagship: Mask2Former on a frozen UMG-CLIP ViT-B/16, trained on COCO
# panoptic (133 classes; 8 GPUs x 2 images, Mask2Former's 50-epoch schedule), evaluated on COCO val2017.
#   python tools/train.py configs/umgclip/panoptic_coco.py [--amp]
#   bash tools/dist_train.sh configs/umgclip/panoptic_coco.py 8 [--amp]
# Needs the UMG-CLIP ViT-B/16 weights: pretrain them (configs/umgclip/pretrain_umg41m_vitb16.py) or, to start from
# CLIP, python tools/model_converters/clip2umgclip.py ViT-B-16.pt checkpoints/umgclip_vitb16.pth
_base_ = ['../_base_/models/ov_mask2former_vitb16.py', '../_base_/datasets/coco_panoptic_ov.py',
          '../_base_/schedules/panoptic_50e.py', '../_base_/default_runtime.py']
default_scope = 'mmdet'

pretrained = 'checkpoints/umgclip_vitb16.pth'
model = dict(
    clip=dict(init_cfg=dict(type='Pretrained', checkpoint=pretrained)),
    data_preprocessor=dict(batch_augments={{_base_.batch_augments}}),
    train_vocab={{_base_.vocab}},
    test_vocab={{_base_.vocab}})
default_hooks = dict(checkpoint=dict(save_last=True, interval={{_base_.interval}}))
