# UMG-CLIP-E/14, as the paper names it: UMG-CLIP pretraining continued from EVA02-CLIP-E/14 on UMG-41M-format data.
#   python tools/model_converters/clip2umgclip.py EVA02_CLIP_E_psz14_s4B.pt checkpoints/umgclip_eva02_e14.pth
#   bash tools/dist_train.sh configs/umgclip/pretrain_umg41m_umgclip_e14.py 8
_base_ = ['../_base_/models/umgclip_eva02_e14.py', '../_base_/datasets/umg41m.py',
          '../_base_/schedules/pretrain_20k.py', '../_base_/default_runtime.py']

default_hooks = dict(checkpoint=dict(interval=2000, max_keep_ckpts=3), logger=dict(interval=50))
pretrained = 'checkpoints/umgclip_eva02_e14.pth'
model = dict(
    backbone=dict(token_reduction=dict(type='cluster', keep_ratio=0.25, iters=3), with_cp=True),
    text_encoder=dict(with_cp=True),
    init_cfg=dict(type='Pretrained', checkpoint=pretrained))
train_dataloader = dict(batch_size=128)  # per GPU, 16 GPUs for 2048 a step (or 8 with accumulative_counts=2)
