# Continued pretraining from a published CLIP: about one pass over UMG-41M at 2048 images a step (20k steps).
# The paper does not publish its optimiser settings; these are ours (docs/paper_notes.md): AdamW with CLIP's betas,
# a low learning rate for continued training, linear warm-up then cosine decay.
max_iters = 20000
train_cfg = dict(type='umgclip_mm.FastResumeIterBasedTrainLoop', max_iters=max_iters, val_interval=2000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    type='AmpOptimWrapper',
    dtype='bfloat16',
    optimizer=dict(type='AdamW', lr=5e-5, betas=(0.9, 0.98), eps=1e-6, weight_decay=0.1),
    paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0,
                       custom_keys={'logit_scale': dict(decay_mult=0.0), 'pos_embed': dict(decay_mult=0.0),
                                    'cls_token': dict(decay_mult=0.0)}),
    clip_grad=dict(max_norm=1.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0, end=1000),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=1000, end=max_iters, eta_min=0.0)
]
auto_scale_lr = dict(enable=False, base_batch_size=2048)
