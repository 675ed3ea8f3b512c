# umgclip_vit-b16_8xb256-amp-20k_umg41m.py on the public multi-granularity sources mixed by weight instead of
# UMG-41M (GBC10M, MG-Data, Visual Genome, COCO, RefCOCO/RefCOCOg, Flickr30k Entities, each converted by its tool
# in tools/dataset_converters/): see _base_/datasets/umg_mixture.py for the layout, weights and commands.
_base_ = ['../_base_/models/umgclip_towers.py', '../_base_/datasets/umg_mixture.py',
          '../_base_/schedules/pretrain_20k.py', '../_base_/default_runtime.py']

pretrained = 'checkpoints/clip_vit-b16_openai.pth'  # converted published CLIP weights
model = dict(
    _base_.umgclip_vitb16,
    backbone=dict(_base_.umgclip_vitb16.backbone, token_reduction=dict(type='cluster', keep_ratio=0.25, iters=3)),
    init_cfg=dict(type='Pretrained', checkpoint=pretrained))
default_hooks = dict(checkpoint=dict(interval=2000, max_keep_ckpts=3), logger=dict(interval=50))
