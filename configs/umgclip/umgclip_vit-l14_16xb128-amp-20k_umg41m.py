# UMG-CLIP pretraining of a ViT-L/14 (OpenAI layout), continued from OpenAI's CLIP ViT-L/14: the ViT-B/16 config
# with the larger towers (activation checkpointing on), 16 GPUs x 128 images (or 8 with accumulative_counts=2).
_base_ = './umgclip_vit-b16_8xb256-amp-20k_umg41m.py'

pretrained = 'checkpoints/clip_vit-l14_openai.pth'
model = dict(
    backbone=dict(_base_.umgclip_vitl14.backbone, with_cp=True),
    text_encoder=dict(_base_.umgclip_vitl14.text_encoder, with_cp=True),
    init_cfg=dict(checkpoint=pretrained))
train_dataloader = dict(batch_size=128)
