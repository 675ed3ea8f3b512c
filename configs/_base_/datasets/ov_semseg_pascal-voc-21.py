# PASCAL VOC 2012 with background (PAS-21) validation (1449 images) for zero-shot semantic segmentation: mmseg's
# pascal_voc12.py (PascalVOCDataset, 21 classes, 255 = boundary) at FC-CLIP's test scale (short side 640, long side
# at most 2560), every type scoped. Layout (mmseg's): data/VOCdevkit/VOC2012/{JPEGImages/*.jpg,
# SegmentationClass/*.png, ImageSets/Segmentation/val.txt}, from VOCtrainval_11-May-2012.tar.
_base_ = 'mmseg::_base_/datasets/pascal_voc12.py'
img_scale = (2560, 640)
test_pipeline = [
    dict(type='mmcv.LoadImageFromFile'),
    dict(type='mmseg.Resize', scale=img_scale, keep_ratio=True),
    dict(type='mmseg.LoadAnnotations'),
    dict(type='mmseg.PackSegInputs')
]
train_dataloader = None  # evaluation only
val_dataloader = dict(num_workers=2, dataset=dict(type='mmseg.PascalVOCDataset', pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='mmseg.IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
vocab = dict(class_list='pascal_voc_21')  # "background" with FC-CLIP's long synonym list
