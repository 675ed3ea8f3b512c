# UMG-CLIP pretraining of a ViT-B/16, continued from OpenAI's CLIP ViT-B/16, on UMG-41M-format data: 8 GPUs x 256
# images (2048 a step), 20k steps in bf16, 75% of the patch tokens merged by cluster token reduction. Commands and
# checkpoint names: README.md beside this file.
_base_ = ['../_base_/models/umgclip_towers.py', '../_base_/datasets/umg41m.py', '../_base_/schedules/pretrain_20k.py',
          '../_base_/default_runtime.py']

pretrained = 'checkpoints/clip_vit-b16_openai.pth'  # converted published CLIP weights
model = dict(
    _base_.umgclip_vitb16,
    backbone=dict(_base_.umgclip_vitb16.backbone, token_reduction=dict(type='cluster', keep_ratio=0.25, iters=3)),
    init_cfg=dict(type='Pretrained', checkpoint=pretrained))
default_hooks = dict(checkpoint=dict(interval=2000, max_keep_ckpts=3), logger=dict(interval=50))
