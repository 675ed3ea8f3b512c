# Open-vocabulary panoptic segmentation at toy scale, on CPU in minutes: the quickstart's pretrained UMG-CLIP towers
# are frozen; a small Mask2Former learns on the seen classes of the toy world and is evaluated on all of them, PQ
# reported over seen and unseen classes.
#   make quickstart        (or: python tools/train.py configs/quickstart/pretrain_synthetic.py
#                                  --work-dir work_dirs/quickstart)
#   python tools/train.py configs/quickstart/panoptic_synthetic.py
# The ensemble off, for comparison: --cfg-options model.ensemble=None
_base_ = ['../_base_/models/ov_mask2former.py', '../_base_/models/ov_mask2former_toy.py',
          '../_base_/datasets/synthetic_panoptic.py', '../_base_/det_runtime.py']
default_scope = 'mmdet'
env_cfg = dict(dist_cfg=dict(backend='gloo'))

pretrained = 'work_dirs/quickstart/iter_600.pth'  # what `make quickstart` writes
model = dict(
    clip=dict(_delete_=True, **_base_.umgclip_toy, init_cfg=dict(type='Pretrained', checkpoint=pretrained)),
    neck=_base_.toy_neck,
    panoptic_head=_base_.toy_head,
    train_cfg=_base_.toy_train_cfg,
    train_vocab=dict(_delete_=True, thing_classes=_base_.seen_thing_classes, stuff_classes=_base_.seen_stuff_classes),
    test_vocab=dict(thing_classes=_base_.thing_classes, stuff_classes=_base_.stuff_classes),
    vocab_encoder=dict(templates=_base_.toy_templates))

max_iters = 1000
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = _base_.toy_optim_wrapper
param_scheduler = [dict(type='LinearLR', start_factor=0.05, by_epoch=False, begin=0, end=50),
                   dict(type='CosineAnnealingLR', by_epoch=False, begin=50, end=max_iters, eta_min=1e-5)]
default_hooks = dict(checkpoint=dict(interval=max_iters), logger=dict(interval=50))
