# Smoke run of the foundation: tiny CLIP towers learn image-caption matching on procedurally drawn shapes, on CPU
# in about a minute. `make quickstart` runs it; the quickstart issue replaces it with the full synthetic pipeline.
_base_ = ['../_base_/models/umgclip_tiny.py', '../_base_/default_runtime.py']

env_cfg = dict(dist_cfg=dict(backend='gloo'))
train_dataloader = dict(
    batch_size=32,
    num_workers=0,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(type='umgclip_mm.SyntheticCaptionDataset', num_samples=1024, img_size=32))
train_cfg = dict(type='IterBasedTrainLoop', max_iters=200)
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.05))
param_scheduler = [dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=20),
                   dict(type='CosineAnnealingLR', by_epoch=False, begin=20, end=200, eta_min=1e-5)]
default_hooks = dict(checkpoint=dict(interval=100))
