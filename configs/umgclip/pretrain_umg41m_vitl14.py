# UMG-CLIP pretraining of a ViT-L/14 (OpenAI layout), continued from a converted CLIP ViT-L/14.
# The paper's UMG-CLIP-L/14 starts from EVA02-CLIP-L/14, whose tower comes with the EVA02 issue.
#   python tools/model_converters/clip2umgclip.py ViT-L-14.pt checkpoints/clip_vitl14_openai_umgclip.pth
_base_ = ['../_base_/models/umgclip_vitl14.py', '../_base_/datasets/umg41m.py',
          '../_base_/schedules/pretrain_20k.py', '../_base_/default_runtime.py']

default_hooks = dict(checkpoint=dict(interval=2000, max_keep_ckpts=3), logger=dict(interval=50))
pretrained = 'checkpoints/clip_vitl14_openai_umgclip.pth'
model = dict(
    backbone=dict(token_reduction=dict(type='cluster', keep_ratio=0.25, iters=3), with_cp=True),
    text_encoder=dict(with_cp=True),
    init_cfg=dict(type='Pretrained', checkpoint=pretrained))
train_dataloader = dict(batch_size=128)  # per GPU, 16 GPUs for 2048 a step (or 8 with accumulative_counts=2)
