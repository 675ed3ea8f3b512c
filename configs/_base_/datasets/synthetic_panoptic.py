# The toy world (tools/dataset_converters/make_synthetic.py) as COCO panoptic, on mmdet's coco_panoptic.py: train on
# the images that show seen classes only (inductive zero-shot), evaluate on all, with PQ over seen and unseen classes
# separately.
_base_ = 'mmdet::_base_/datasets/coco_panoptic.py'
data_root = 'data/synthetic/'
thing_classes = ['circle', 'square', 'triangle', 'star', 'ring', 'cross', 'diamond', 'hexagon']
stuff_classes = ['sky', 'grass', 'water', 'sand', 'wall']
unseen_classes = ['star', 'hexagon', 'sand']  # = data/synthetic/vocab/unseen.txt
seen_thing_classes = [c for c in thing_classes if c not in unseen_classes]
seen_stuff_classes = [c for c in stuff_classes if c not in unseen_classes]
img_scale = (128, 128)
train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=_base_.backend_args),
    dict(type='LoadPanopticAnnotations', with_bbox=True, with_mask=True, with_seg=True,
         backend_args=_base_.backend_args),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RandomResize', scale=img_scale, ratio_range=(0.8, 1.25), keep_ratio=True),
    dict(type='RandomCrop', crop_size=img_scale, crop_type='absolute', recompute_bbox=True,
         allow_negative_crop=True),
    dict(type='PackDetInputs')
]
# mmdet's test pipeline at the toy scale
test_pipeline = [dict(t, scale=img_scale) if t.type == 'Resize' else t for t in _base_.test_pipeline]
train_dataloader = dict(
    batch_size=8,
    sampler=dict(type='InfiniteSampler'),
    batch_sampler=None,
    dataset=dict(
        type='umgclip_mm.OVCocoPanopticDataset',
        data_root=data_root,
        ann_file='annotations/panoptic_train.json',
        data_prefix=dict(img='images/train/', seg='annotations/panoptic_train/'),
        metainfo=dict(classes=seen_thing_classes + seen_stuff_classes, thing_classes=seen_thing_classes,
                      stuff_classes=seen_stuff_classes),
        filter_cfg=dict(filter_empty_gt=False, min_size=1),
        skip_unlisted_images=True,  # inductive zero-shot: no training image shows an unseen class
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=8,
    num_workers=1,
    dataset=dict(
        type='umgclip_mm.OVCocoPanopticDataset',
        data_root=data_root,
        ann_file='annotations/panoptic_val.json',
        data_prefix=dict(img='images/val/', seg='annotations/panoptic_val/'),
        metainfo=dict(classes=thing_classes + stuff_classes, thing_classes=thing_classes,
                      stuff_classes=stuff_classes),
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(
    type='umgclip_mm.OVCocoPanopticMetric',
    ann_file=data_root + 'annotations/panoptic_val.json',
    seg_prefix=data_root + 'annotations/panoptic_val/',
    unseen_classes=unseen_classes)
test_evaluator = val_evaluator
