# UMG-CLIP-E/14, as the paper names it: UMG-CLIP pretraining continued from EVA02-CLIP-E/14 on UMG-41M-format data.
# The EVA02-L/14 config with the E/14 tower pair.
_base_ = './umgclip_eva02-l14_16xb128-amp-20k_umg41m.py'

pretrained = 'checkpoints/clip_eva02-e14_laion2b.pth'
model = dict(
    backbone=_base_.umgclip_eva02_e14.backbone,
    text_encoder=_base_.umgclip_eva02_e14.text_encoder,
    init_cfg=dict(checkpoint=pretrained))
