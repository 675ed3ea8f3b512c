# Zero-shot transfer of the UMG-CLIP-E/14 model (ov-mask2former_umgclip-eva02-e14_8xb2-lsj-50e_coco-panoptic.py) to
# ADE20K panoptic: the paper's 31.6 PQ setting.
_base_ = './ov-mask2former_umgclip-eva02-l14_8xb2-lsj-50e_coco2ade20k-panoptic.py'

model = dict(clip=dict(_base_.umgclip_eva02_e14, backbone=dict(_base_.umgclip_eva02_e14.backbone, feature_stride=16)))
