# COCO panoptic (133 classes) for the open-vocabulary panoptic model: mmdet's data set, loaders and
# CocoPanopticMetric on val2017 (mmdet's coco_panoptic.py), with Mask2Former's large-scale jitter at 1024 px for
# training. Layout: data/coco/{train2017,val2017}/*.jpg, data/coco/annotations/panoptic_{train,val}2017.json and
# data/coco/annotations/panoptic_{train,val}2017/*.png (https://cocodataset.org/#download, "2017 Panoptic").
_base_ = 'mmdet::_base_/datasets/coco_panoptic.py'
image_size = (1024, 1024)
train_pipeline = [
    dict(type='LoadImageFromFile', to_float32=True, backend_args=_base_.backend_args),
    dict(type='LoadPanopticAnnotations', with_bbox=True, with_mask=True, with_seg=True,
         backend_args=_base_.backend_args),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RandomResize', scale=image_size, ratio_range=(0.1, 2.0), keep_ratio=True),
    dict(type='RandomCrop', crop_size=image_size, crop_type='absolute', recompute_bbox=True,
         allow_negative_crop=True),
    dict(type='PackDetInputs')
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
# what the model needs to know of this data set: its vocabulary, and the fixed-size padding of large-scale jitter
vocab = dict(dataset='mmdet.CocoPanopticDataset')
batch_augments = [
    dict(type='BatchFixedSizePad', size=image_size, img_pad_value=0, pad_mask=True, mask_pad_value=0, pad_seg=True,
         seg_pad_value=255)
]
