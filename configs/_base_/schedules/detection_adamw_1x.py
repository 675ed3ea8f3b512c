# mmdet's 1x schedule (12 epochs, linear warm-up, steps at epochs 8 and 11) with AdamW for the trainable neck and
# heads (the tower is frozen), as ViT detectors are trained.
_base_ = 'mmdet::_base_/schedules/schedule_1x.py'
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-4, betas=(0.9, 0.999), weight_decay=0.1),
    clip_grad=dict(max_norm=1.0, norm_type=2),
    paramwise_cfg=dict(norm_decay_mult=0.0))
