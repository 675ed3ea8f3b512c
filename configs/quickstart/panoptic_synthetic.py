# Open-vocabulary panoptic segmentation at toy scale, on CPU in minutes: the quickstart's pretrained UMG-CLIP towers
# are frozen; a small Mask2Former learns on the seen classes of the toy world and is evaluated on all of them, PQ
# reported over seen and unseen classes.
#   make quickstart        (or: python tools/train.py configs/quickstart/pretrain_synthetic.py
#                                  --work-dir work_dirs/quickstart)
#   python tools/train.py configs/quickstart/panoptic_synthetic.py
# The out-of-vocabulary branch off, for comparison: --cfg-options model.ensemble=None
_base_ = ['../_base_/models/ov_mask2former.py', '../_base_/datasets/synthetic_panoptic.py',
          '../_base_/default_runtime.py']
default_scope = 'mmdet'
env_cfg = dict(dist_cfg=dict(backend='gloo'))

pretrained = 'work_dirs/quickstart/iter_600.pth'  # what `make quickstart` writes
feat = 64
model = dict(
    clip=dict(_delete_=True, **_base_.umgclip_toy, init_cfg=dict(type='Pretrained', checkpoint=pretrained)),
    neck=dict(out_channels=feat, scales=[2, 1, 0.5, 0.25]),  # 8 px patches: strides 4..32
    panoptic_head=dict(
        in_channels=[feat] * 4,
        feat_channels=feat,
        out_channels=feat,
        num_queries=20,
        pixel_decoder=dict(
            norm_cfg=dict(type='GN', num_groups=8),
            encoder=dict(num_layers=1, layer_cfg=dict(self_attn_cfg=dict(embed_dims=feat, num_heads=4),
                                                      ffn_cfg=dict(embed_dims=feat, feedforward_channels=128))),
            positional_encoding=dict(num_feats=feat // 2)),
        positional_encoding=dict(num_feats=feat // 2),
        transformer_decoder=dict(num_layers=3, layer_cfg=dict(
            self_attn_cfg=dict(embed_dims=feat, num_heads=4), cross_attn_cfg=dict(embed_dims=feat, num_heads=4),
            ffn_cfg=dict(embed_dims=feat, feedforward_channels=128)))),
    train_cfg=dict(num_points=1024),
    train_vocab=dict(_delete_=True, thing_classes=_base_.seen_thing_classes, stuff_classes=_base_.seen_stuff_classes),
    test_vocab=dict(thing_classes=_base_.thing_classes, stuff_classes=_base_.stuff_classes),
    vocab_encoder=dict(templates=['a {}', 'the {}', '{} in the background']))  # the phrasing of the toy captions

max_iters = 1000
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.05),
                     paramwise_cfg=dict(norm_decay_mult=0.0, custom_keys=dict(
                         query_embed=dict(decay_mult=0.0), query_feat=dict(decay_mult=0.0),
                         level_embed=dict(decay_mult=0.0))),
                     clip_grad=dict(max_norm=1.0, norm_type=2))
param_scheduler = [dict(type='LinearLR', start_factor=0.05, by_epoch=False, begin=0, end=50),
                   dict(type='CosineAnnealingLR', by_epoch=False, begin=50, end=max_iters, eta_min=1e-5)]
default_hooks = dict(checkpoint=dict(interval=max_iters), logger=dict(interval=50))
