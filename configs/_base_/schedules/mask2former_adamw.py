# Mask2Former's optimizer, as mmdet's mask2former_*_coco-panoptic and mmseg's mask2former_*_ade20k configs set it:
# AdamW 1e-4, weight decay 0.05, gradient clipping at 0.01, no decay on the queries, level embeddings and norms;
# validation and test loops. The schedules built on it (panoptic_50e.py, semseg_80k.py) add the length and the
# learning-rate decay.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=0.0001, weight_decay=0.05, eps=1e-8, betas=(0.9, 0.999)),
    paramwise_cfg=dict(custom_keys=dict(query_embed=dict(lr_mult=1.0, decay_mult=0.0),
                                        query_feat=dict(lr_mult=1.0, decay_mult=0.0),
                                        level_embed=dict(lr_mult=1.0, decay_mult=0.0)),
                       norm_decay_mult=0.0),
    clip_grad=dict(max_norm=0.01, norm_type=2))
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
auto_scale_lr = dict(enable=False, base_batch_size=16)
