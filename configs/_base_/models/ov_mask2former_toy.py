# The open-vocabulary Mask2Former at toy scale (64 channels, 20 queries, 1 + 3 decoder layers; CPU minutes), for the
# quickstart's panoptic (OVMask2Former) and semantic (OVEncoderDecoder) models on the toy world's 8 px patches:
# merged into the full-size model configs as `panoptic_head=toy_head` / `decode_head=toy_head`.
toy_feat = 64
toy_neck = dict(out_channels=toy_feat, scales=[2, 1, 0.5, 0.25])  # 8 px patches: strides 4..32
toy_head = dict(
    in_channels=[toy_feat] * 4,
    feat_channels=toy_feat,
    out_channels=toy_feat,
    num_queries=20,
    pixel_decoder=dict(
        norm_cfg=dict(type='GN', num_groups=8),
        encoder=dict(num_layers=1, layer_cfg=dict(self_attn_cfg=dict(embed_dims=toy_feat, num_heads=4),
                                                  ffn_cfg=dict(embed_dims=toy_feat, feedforward_channels=128))),
        positional_encoding=dict(num_feats=toy_feat // 2)),
    positional_encoding=dict(num_feats=toy_feat // 2),
    transformer_decoder=dict(num_layers=3, layer_cfg=dict(
        self_attn_cfg=dict(embed_dims=toy_feat, num_heads=4), cross_attn_cfg=dict(embed_dims=toy_feat, num_heads=4),
        ffn_cfg=dict(embed_dims=toy_feat, feedforward_channels=128))))
toy_train_cfg = dict(num_points=1024)
toy_templates = ['a {}', 'the {}', '{} in the background']  # the phrasing of the toy captions
# the toy parts as a model config takes them: `model = dict(clip=..., **toy_panoptic_parts)` (OVMask2Former) or
# `**toy_semseg_parts` (OVEncoderDecoder, whose head is its decode_head)
toy_panoptic_parts = dict(neck=toy_neck, panoptic_head=toy_head, train_cfg=toy_train_cfg,
                          vocab_encoder=dict(templates=toy_templates))
toy_semseg_parts = dict(neck=toy_neck, decode_head=toy_head, train_cfg=toy_train_cfg,
                        vocab_encoder=dict(templates=toy_templates))
# what the quickstart's training loop and optimiser are for either model
toy_optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.05),
                         paramwise_cfg=dict(norm_decay_mult=0.0, custom_keys=dict(
                             query_embed=dict(decay_mult=0.0), query_feat=dict(decay_mult=0.0),
                             level_embed=dict(decay_mult=0.0))),
                         clip_grad=dict(max_norm=1.0, norm_type=2))
# the quickstart's run of either model: 1000 iterations, a short warm-up, then cosine
toy_max_iters = 1000
toy_train_loop = dict(type='IterBasedTrainLoop', max_iters=toy_max_iters, val_interval=toy_max_iters)
toy_param_scheduler = [dict(type='LinearLR', start_factor=0.05, by_epoch=False, begin=0, end=50),
                       dict(type='CosineAnnealingLR', by_epoch=False, begin=50, end=toy_max_iters, eta_min=1e-5)]
toy_default_hooks = dict(checkpoint=dict(interval=toy_max_iters), logger=dict(interval=50))
