# The flagship on a frozen UMG-CLIP ViT-L/14 (OpenAI layout).
_base_ = './ov-mask2former_umgclip-vit-b16_8xb2-lsj-50e_coco-panoptic.py'

pretrained = 'checkpoints/umgclip_vit-l14_umg41m.pth'
# feature_stride=16: the 14 px tower sees the image at 14/16 of its size, so that its grid is the B/16 one (64 x 64 at
# 1024 px) and the pyramid neck's maps are at strides 4..32, as for B/16 (BaseImageTower's docstring says why)
model = dict(clip=dict(_base_.umgclip_vitl14, backbone=dict(_base_.umgclip_vitl14.backbone, feature_stride=16),
                       init_cfg=dict(checkpoint=pretrained)))
