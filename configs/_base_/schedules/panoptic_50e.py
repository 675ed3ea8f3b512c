# Mask2Former's COCO panoptic schedule: AdamW 1e-4, 368,750 iterations at 16 images (50 epochs), steps at 0.89 and
# 0.96, evaluation (and checkpoints, set beside the runtime's hooks) every 5,000 iterations.
max_iters = 368750
interval = 5000
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=0.0001, weight_decay=0.05, eps=1e-8, betas=(0.9, 0.999)),
    paramwise_cfg=dict(custom_keys=dict(query_embed=dict(lr_mult=1.0, decay_mult=0.0),
                                        query_feat=dict(lr_mult=1.0, decay_mult=0.0),
                                        level_embed=dict(lr_mult=1.0, decay_mult=0.0)),
                       norm_decay_mult=0.0),
    clip_grad=dict(max_norm=0.01, norm_type=2))
param_scheduler = dict(type='MultiStepLR', begin=0, end=max_iters, by_epoch=False, milestones=[327778, 355092],
                       gamma=0.1)
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=interval,
                 dynamic_intervals=[(max_iters // interval * interval + 1, max_iters)])
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
auto_scale_lr = dict(enable=False, base_batch_size=16)
