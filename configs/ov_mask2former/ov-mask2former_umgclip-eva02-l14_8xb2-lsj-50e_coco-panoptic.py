# The flagship on the paper's UMG-CLIP-L/14 (EVA02-CLIP-L/14 architecture), frozen.
_base_ = './ov-mask2former_umgclip-vit-l14_8xb2-lsj-50e_coco-panoptic.py'

pretrained = 'checkpoints/umgclip_eva02-l14_umg41m.pth'
model = dict(
    clip=dict(backbone=dict(_delete_=True, **_base_.umgclip_eva02_l14.backbone, feature_stride=16),
              text_encoder=_base_.umgclip_eva02_l14.text_encoder, init_cfg=dict(checkpoint=pretrained)))
