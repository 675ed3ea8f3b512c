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
    train_vocab=dict(_delete_=True, thing_classes=_base_.seen_thing_classes, stuff_classes=_base_.seen_stuff_classes),
    test_vocab=dict(thing_classes=_base_.thing_classes, stuff_classes=_base_.stuff_classes),
    **_base_.toy_panoptic_parts)

train_cfg, val_cfg, test_cfg = _base_.toy_train_loop, dict(type='ValLoop'), dict(type='TestLoop')
optim_wrapper, param_scheduler = _base_.toy_optim_wrapper, _base_.toy_param_scheduler
default_hooks = _base_.toy_default_hooks
