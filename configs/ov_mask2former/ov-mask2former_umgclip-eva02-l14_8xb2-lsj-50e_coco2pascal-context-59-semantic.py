# The UMG-CLIP-L/14 model (ov-mask2former_umgclip-eva02-l14_8xb2-lsj-50e_coco-panoptic.py) on PASCAL Context-59 (PC-59),
# zero-shot, FC-CLIP's protocol: the paper's semantic setting.
_base_ = './ov-mask2former_umgclip-vit-b16_8xb2-lsj-50e_coco2pascal-context-59-semantic.py'
model = dict(clip=dict(backbone=dict(_delete_=True, **_base_.umgclip_eva02_l14.backbone, feature_stride=16),
                       text_encoder=_base_.umgclip_eva02_l14.text_encoder))
