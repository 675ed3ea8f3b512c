# UMG-CLIP pretraining at toy scale: tiny towers learn image-, region- and mask-level alignment on the generated
# toy world, on CPU in minutes, and report region-text retrieval on held-out scenes.
#   python tools/dataset_converters/make_synthetic.py data/synthetic
#   python tools/train.py configs/quickstart/pretrain_synthetic.py
_base_ = ['../_base_/models/umgclip_towers.py', '../_base_/datasets/umg_synthetic.py',
          '../_base_/default_runtime.py']

env_cfg = dict(dist_cfg=dict(backend='gloo'))
model = _base_.umgclip_toy
max_iters = 600
train_cfg = dict(type='umgclip_mm.FastResumeIterBasedTrainLoop', max_iters=max_iters, val_interval=300)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.05),
                     paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0))
param_scheduler = [dict(type='LinearLR', start_factor=0.05, by_epoch=False, begin=0, end=50),
                   dict(type='CosineAnnealingLR', by_epoch=False, begin=50, end=max_iters, eta_min=2e-5)]
default_hooks = dict(checkpoint=dict(interval=300), logger=dict(interval=50))
