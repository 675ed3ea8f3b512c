# mmseg's Mask2Former schedule (mask2former_*_160k_ade20k: AdamW 1e-4, weight decay 0.05, poly decay, gradient
# clipping at 0.01, no decay on queries, level embeddings and norms) for 80,000 iterations at 16 images (8 GPUs x 2;
# about 11 epochs of COCO-Stuff-164k), evaluation and checkpoints every 8,000.
max_iters = 80000
interval = 8000
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=0.0001, weight_decay=0.05, eps=1e-8, betas=(0.9, 0.999)),
    paramwise_cfg=dict(custom_keys=dict(query_embed=dict(lr_mult=1.0, decay_mult=0.0),
                                        query_feat=dict(lr_mult=1.0, decay_mult=0.0),
                                        level_embed=dict(lr_mult=1.0, decay_mult=0.0)),
                       norm_decay_mult=0.0),
    clip_grad=dict(max_norm=0.01, norm_type=2))
param_scheduler = [dict(type='PolyLR', eta_min=0, power=0.9, begin=0, end=max_iters, by_epoch=False)]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=interval)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
auto_scale_lr = dict(enable=False, base_batch_size=16)
