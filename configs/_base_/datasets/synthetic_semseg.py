# The toy world (tools/dataset_converters/make_synthetic.py) as semantic segmentation: train on the seen classes,
# leaving out every image that shows an unseen one (inductive zero-shot), evaluate on all 13 with mIoU over the seen
# and the unseen (star, hexagon, sand) classes and their harmonic mean. Layout: data/synthetic/images/{train,val}/
# *.png (128x128 RGB) + semantic/{train,val}/*.png (uint8 class index in vocab/classes.txt order, 255 =
# unlabelled). Every type scoped: works under mmseg's and mmdet's default scope.
data_root = 'data/synthetic/'
classes = ['circle', 'square', 'triangle', 'star', 'ring', 'cross', 'diamond', 'hexagon', 'sky', 'grass', 'water',
           'sand', 'wall']  # = data/synthetic/vocab/classes.txt
unseen_classes = ['star', 'hexagon', 'sand']  # = data/synthetic/vocab/unseen.txt
seen_classes = [c for c in classes if c not in unseen_classes]
vocab = dict(classes=classes)  # the model's test vocabulary
train_vocab = dict(classes=seen_classes)
img_scale = (128, 128)
train_pipeline = [
    dict(type='mmcv.LoadImageFromFile'),
    dict(type='mmseg.LoadAnnotations'),
    dict(type='mmcv.RandomResize', scale=img_scale, ratio_range=(0.8, 1.25),
         keep_ratio=True, resize_type='mmseg.Resize'),
    dict(type='mmseg.RandomCrop', crop_size=img_scale),
    dict(type='mmseg.RandomFlip', prob=0.5),
    dict(type='mmseg.PackSegInputs')
]
test_pipeline = [
    dict(type='mmcv.LoadImageFromFile'),
    dict(type='mmseg.Resize', scale=img_scale, keep_ratio=True),
    dict(type='mmseg.LoadAnnotations'),
    dict(type='mmseg.PackSegInputs')
]
# what the train and val loaders share ('__' names stay out of the resolved config: mmengine drops them)
__loader = dict(batch_size=8, num_workers=1)
__dataset = dict(type='umgclip_mm.OVSemSegDataset', data_root=data_root, metainfo=dict(classes=classes))
train_dataloader = dict(
    __loader,
    sampler=dict(type='mmengine.InfiniteSampler', shuffle=True),
    dataset=dict(
        __dataset,
        data_prefix=dict(img_path='images/train', seg_map_path='semantic/train'),
        seen_classes=seen_classes,
        skip_unlisted_images=True,  # inductive zero-shot: no training image shows an unseen class
        pipeline=train_pipeline))
val_dataloader = dict(
    __loader,
    sampler=dict(type='mmengine.DefaultSampler', shuffle=False),
    dataset=dict(
        __dataset,
        data_prefix=dict(img_path='images/val', seg_map_path='semantic/val'),
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='umgclip_mm.OVIoUMetric', iou_metrics=['mIoU'], unseen_classes=unseen_classes)
test_evaluator = val_evaluator
