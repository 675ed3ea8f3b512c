# The toy world (tools/dataset_converters/make_synthetic.py) as COCO instances, on mmdet's coco_detection.py: train
# on the 6 seen things, on the images that show seen things only (inductive zero-shot: no training image shows a
# star or a hexagon), evaluate on all 8 with mmdet's OVCocoMetric, box AP50 of the seen (base) and unseen (novel)
# things apart (coco/base_ap50, coco/novel_ap50).
# Layout: data/synthetic/images/{train,val}/*.png, data/synthetic/annotations/instances_{train,val}.json, made by
#     python tools/dataset_converters/make_synthetic.py data/synthetic
_base_ = 'mmdet::_base_/datasets/coco_detection.py'
data_root = 'data/synthetic/'
thing_classes = ['circle', 'square', 'triangle', 'star', 'ring', 'cross', 'diamond', 'hexagon']
unseen_classes = ['star', 'hexagon']  # the things of data/synthetic/vocab/unseen.txt (its "sand" is stuff)
seen_classes = [c for c in thing_classes if c not in unseen_classes]
# what the model needs to know of this data set: the classes it trains on (label i = train_vocab's class i) and the
# classes it is tested on (the unseen ones are those not in train_vocab)
train_vocab = dict(classes=seen_classes)
test_vocab = dict(classes=thing_classes)
img_scale = (128, 128)
# scoped types (mmcv's, mmdet's), so the pipelines build under any default_scope
train_pipeline = [
    dict(type='mmcv.LoadImageFromFile'),
    dict(type='mmdet.LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='mmdet.RandomFlip', prob=0.5),
    dict(type='mmcv.RandomResize', scale=img_scale, ratio_range=(0.8, 1.25), keep_ratio=True,
         resize_type='mmdet.Resize'),
    dict(type='mmdet.RandomCrop', crop_size=img_scale, crop_type='absolute', recompute_bbox=True,
         allow_negative_crop=True),
    dict(type='mmdet.PackDetInputs')
]
test_pipeline = [
    dict(type='mmcv.LoadImageFromFile'),
    dict(type='mmdet.Resize', scale=img_scale, keep_ratio=True),
    dict(type='mmdet.LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='mmdet.PackDetInputs', meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor'))
]
train_dataloader = dict(
    batch_size=8,
    sampler=dict(type='InfiniteSampler'),
    batch_sampler=None,
    dataset=dict(
        type='umgclip_mm.OVCocoDataset',
        data_root=data_root,
        ann_file='annotations/instances_train.json',
        data_prefix=dict(img='images/train/'),
        metainfo=dict(classes=seen_classes),
        filter_cfg=dict(filter_empty_gt=True, min_size=1),
        skip_unlisted_images=True,  # inductive zero-shot: no training image shows an unseen class
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=8,
    num_workers=1,
    dataset=dict(
        type='umgclip_mm.OVCocoDataset',
        data_root=data_root,
        ann_file='annotations/instances_val.json',
        data_prefix=dict(img='images/val/'),
        metainfo=dict(classes=thing_classes, base_classes=seen_classes, novel_classes=unseen_classes),
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='mmdet.OVCocoMetric', ann_file=data_root + 'annotations/instances_val.json', metric='bbox')
test_evaluator = val_evaluator
