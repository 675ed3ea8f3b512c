# The flagship on the paper's UMG-CLIP-E/14 (EVA02-CLIP-E/14 architecture), frozen.
_base_ = './ov-mask2former_umgclip-eva02-l14_8xb2-lsj-50e_coco-panoptic.py'

pretrained = 'checkpoints/umgclip_eva02-e14_umg41m.pth'
model = dict(clip=dict(_base_.umgclip_eva02_e14, backbone=dict(_base_.umgclip_eva02_e14.backbone, feature_stride=16),
                       init_cfg=dict(checkpoint=pretrained)))
