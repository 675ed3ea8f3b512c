# UMG-CLIP pretraining of a ViT-B/16, continued from OpenAI's CLIP ViT-B/16, on UMG-41M-format data.
#   python tools/model_converters/clip2umgclip.py ViT-B-16.pt checkpoints/clip_vitb16_openai_umgclip.pth
#   bash tools/dist_train.sh configs/umgclip/pretrain_umg41m_vitb16.py 8
_base_ = ['../_base_/models/umgclip_vitb16.py', '../_base_/datasets/umg41m.py',
          '../_base_/schedules/pretrain_20k.py', '../_base_/default_runtime.py']

default_hooks = dict(checkpoint=dict(interval=2000, max_keep_ckpts=3), logger=dict(interval=50))
pretrained = 'checkpoints/clip_vitb16_openai_umgclip.pth'
model = dict(
    backbone=dict(token_reduction=dict(type='cluster', keep_ratio=0.25, iters=3), with_cp=False),
    init_cfg=dict(type='Pretrained', checkpoint=pretrained))
