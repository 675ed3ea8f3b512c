# Open-vocabulary detection at toy scale with mmdet's runner (F-VLM's design), on CPU in minutes: the quickstart's
# pretrained UMG-CLIP towers are frozen; a simple pyramid, an RPN and a RoI head with a text-embedding classifier
# learn on the 6 seen things of the toy world and are evaluated on all 8, box AP50 over seen (base) and unseen
# (novel: star, hexagon) things apart.
#   make quickstart        (or: python tools/train.py configs/quickstart/pretrain_synthetic.py
#                                  --work-dir work_dirs/quickstart)
#   python tools/train.py configs/quickstart/detection_synthetic.py
# The ensemble off, for comparison: --cfg-options model.ensemble=None
_base_ = ['../_base_/models/ov_faster-rcnn_vit-pyramid.py', '../_base_/datasets/synthetic_detection.py',
          '../_base_/models/ov_mask2former_toy.py', '../_base_/det_runtime.py']
default_scope = 'mmdet'
env_cfg = dict(dist_cfg=dict(backend='gloo'))

pretrained = 'work_dirs/quickstart/iter_600.pth'  # what `make quickstart` writes
feat = 64
model = dict(
    clip=dict(_delete_=True, **_base_.umgclip_toy, init_cfg=dict(type='Pretrained', checkpoint=pretrained)),
    # 8 px patches: strides 4..32, and 64 by subsampling
    neck=dict(out_channels=feat, scale_factors=(2.0, 1.0, 0.5, 0.25), norm_cfg=dict(type='GN', num_groups=8)),
    # anchors of 16..256 px (the toy shapes are 10-60 px)
    rpn_head=dict(in_channels=feat, feat_channels=feat, anchor_generator=dict(scales=[4])),
    roi_head=dict(bbox_roi_extractor=dict(out_channels=feat),
                  bbox_head=dict(in_channels=feat, fc_out_channels=256)),
    train_cfg=dict(rpn_proposal=dict(nms_pre=500, max_per_img=200), rcnn=dict(sampler=dict(num=128))),
    test_cfg=dict(rpn=dict(nms_pre=500, max_per_img=100), rcnn=dict(score_thr=0.01)),
    train_vocab=dict(_delete_=True, **_base_.train_vocab),
    test_vocab=_base_.test_vocab,
    vocab_encoder=dict(templates=_base_.toy_templates))

max_iters = 600
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='AdamW', lr=5e-4, weight_decay=0.05),
                     clip_grad=dict(max_norm=1.0, norm_type=2))
param_scheduler = [dict(type='LinearLR', start_factor=0.05, by_epoch=False, begin=0, end=50),
                   dict(type='CosineAnnealingLR', by_epoch=False, begin=50, end=max_iters, eta_min=1e-6)]
default_hooks = dict(checkpoint=dict(interval=max_iters), logger=dict(interval=50))
