# The flagship on the paper's UMG-CLIP-E/14 tower pair (EVA02-CLIP-E/14 architecture), frozen.
#   python tools/train.py configs/umgclip/panoptic_coco_umgclip_e14.py [--amp]
# Weights: UMG-CLIP-E/14 from configs/umgclip/pretrain_umg41m_umgclip_e14.py, or to start from EVA02-CLIP:
#   python tools/model_converters/clip2umgclip.py EVA02_CLIP_E_psz14_s4B.pt checkpoints/umgclip_eva02_e14.pth
_base_ = ['../_base_/models/ov_mask2former_eva02_e14.py', '../_base_/datasets/coco_panoptic_ov.py',
          '../_base_/schedules/panoptic_50e.py', '../_base_/default_runtime.py']
default_scope = 'mmdet'

pretrained = 'checkpoints/umgclip_eva02_e14.pth'
model = dict(
    clip=dict(init_cfg=dict(type='Pretrained', checkpoint=pretrained), backbone=dict(with_cp=True)),
    data_preprocessor=dict(batch_augments={{_base_.batch_augments}}),
    train_vocab={{_base_.vocab}},
    test_vocab={{_base_.vocab}})
default_hooks = dict(checkpoint=dict(save_last=True, interval={{_base_.interval}}))
