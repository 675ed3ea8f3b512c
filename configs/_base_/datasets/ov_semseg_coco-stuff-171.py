# COCO-Stuff-164k (171 classes): the training set of the open-vocabulary semantic segmentation model, and its own
# validation: mmseg's coco-stuff164k.py (COCOStuffDataset, 512x512 crops of images resized with ratio 0.5-2.0 around
# 2048x512, flip, photometric distortion) with every type scoped; validation at FC-CLIP's test scale (short side 640).
# Layout (mmseg's tools/dataset_converters/coco_stuff164k.py output): data/coco_stuff164k/images/{train,val}2017/
# *.jpg + annotations/{train,val}2017/*_labelTrainIds.png, from COCO 2017 images and stuffthingmaps_trainval2017.zip.
_base_ = 'mmseg::_base_/datasets/coco-stuff164k.py'
crop_size = (512, 512)
img_scale = (2560, 640)
train_pipeline = [
    dict(type='mmcv.LoadImageFromFile'),
    dict(type='mmseg.LoadAnnotations'),
    dict(type='mmcv.RandomResize', scale=(2048, 512), ratio_range=(0.5, 2.0),
         keep_ratio=True, resize_type='mmseg.Resize'),
    dict(type='mmseg.RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='mmseg.RandomFlip', prob=0.5),
    dict(type='mmseg.PhotoMetricDistortion'),
    dict(type='mmseg.PackSegInputs')
]
test_pipeline = [
    dict(type='mmcv.LoadImageFromFile'),
    dict(type='mmseg.Resize', scale=img_scale, keep_ratio=True),
    dict(type='mmseg.LoadAnnotations'),
    dict(type='mmseg.PackSegInputs')
]
train_dataloader = dict(
    sampler=dict(type='mmengine.InfiniteSampler', shuffle=True),
    dataset=dict(type='mmseg.COCOStuffDataset', pipeline=train_pipeline))
val_dataloader = dict(num_workers=2, dataset=dict(type='mmseg.COCOStuffDataset', pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='mmseg.IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
vocab = dict(dataset='mmseg.COCOStuffDataset')  # train and test vocabulary: the 171 classes
train_vocab = vocab
