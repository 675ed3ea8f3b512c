# The flagship on a frozen UMG-CLIP ViT-L/14 (OpenAI layout).
_base_ = './ov-mask2former_umgclip-vit-b16_8xb2-lsj-50e_coco-panoptic.py'

pretrained = 'checkpoints/umgclip_vit-l14_umg41m.pth'
model = dict(clip=dict(_base_.umgclip_vitl14, init_cfg=dict(checkpoint=pretrained)))
