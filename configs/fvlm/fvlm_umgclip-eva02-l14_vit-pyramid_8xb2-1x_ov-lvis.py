# fvlm_umgclip-vit-b16_vit-pyramid_8xb2-1x_ov-lvis.py on UMG-CLIP-L/14 (EVA02-CLIP-L/14 towers, the paper's model).
_base_ = './fvlm_umgclip-vit-b16_vit-pyramid_8xb2-1x_ov-lvis.py'
pretrained = 'checkpoints/umgclip_eva02-l14_umg41m.pth'
# feature_stride=16: the 14 px tower sees the image at 14/16 of its size, so that its grid cell is 16 px and the
# pyramid's levels are at the strides 4..64 that the anchors and RoIAlign assume (BaseImageTower's docstring)
model = dict(clip=dict(_base_.umgclip_eva02_l14, _delete_=True,
                       backbone=dict(_base_.umgclip_eva02_l14.backbone, feature_stride=16),
                       init_cfg=dict(type='Pretrained', checkpoint=pretrained)))
