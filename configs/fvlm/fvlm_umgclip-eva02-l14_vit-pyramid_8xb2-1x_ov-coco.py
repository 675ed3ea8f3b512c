# fvlm_umgclip-vit-b16_vit-pyramid_8xb2-1x_ov-coco.py on UMG-CLIP-L/14 (EVA02-CLIP-L/14 towers, the paper's model).
_base_ = './fvlm_umgclip-vit-b16_vit-pyramid_8xb2-1x_ov-coco.py'
pretrained = 'checkpoints/umgclip_eva02-l14_umg41m.pth'
model = dict(clip=dict(_delete_=True, **_base_.umgclip_eva02_l14,
                       init_cfg=dict(type='Pretrained', checkpoint=pretrained)))
