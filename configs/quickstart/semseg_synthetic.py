# Open-vocabulary semantic segmentation at toy scale with mmseg's runner, on CPU in minutes: the quickstart's
# pretrained UMG-CLIP towers are frozen; the open-vocabulary Mask2Former head (OVEncoderDecoder, the panoptic model's
# parts trained from label maps) learns on the seen classes of the toy world and is evaluated on all 13, mIoU
# reported over seen and unseen classes.
#   make quickstart        (or: python tools/train.py configs/quickstart/pretrain_synthetic.py
#                                  --work-dir work_dirs/quickstart)
#   python tools/train.py configs/quickstart/semseg_synthetic.py
# The ensemble off, for comparison: --cfg-options model.ensemble=None
_base_ = ['../_base_/models/ov_encoder_decoder.py', '../_base_/models/ov_mask2former_toy.py',
          '../_base_/datasets/synthetic_semseg.py', '../_base_/seg_runtime.py']
default_scope = 'mmseg'
env_cfg = dict(dist_cfg=dict(backend='gloo'))

pretrained = 'work_dirs/quickstart/iter_600.pth'  # what `make quickstart` writes
model = dict(
    clip=dict(_delete_=True, **_base_.umgclip_toy, init_cfg=dict(type='Pretrained', checkpoint=pretrained)),
    train_vocab=dict(_delete_=True, **_base_.train_vocab),
    test_vocab=_base_.vocab,
    **_base_.toy_semseg_parts)

train_cfg, val_cfg, test_cfg = _base_.toy_train_loop, dict(type='ValLoop'), dict(type='TestLoop')
optim_wrapper, param_scheduler = _base_.toy_optim_wrapper, _base_.toy_param_scheduler
default_hooks = _base_.toy_default_hooks
