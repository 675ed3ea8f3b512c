# UMG-CLIP-L/14, as the paper names it: UMG-CLIP pretraining continued from EVA02-CLIP-L/14 on UMG-41M-format data.
# The ViT-L/14 config with the EVA02 tower pair.
_base_ = './umgclip_vit-l14_16xb128-amp-20k_umg41m.py'

pretrained = 'checkpoints/clip_eva02-l14_merged2b.pth'
model = dict(
    backbone=dict(_delete_=True, **_base_.umgclip_eva02_l14.backbone,
                  token_reduction=_base_.model.backbone.token_reduction, with_cp=True),
    text_encoder=_base_.umgclip_eva02_l14.text_encoder,
    init_cfg=dict(checkpoint=pretrained))
