# PASCAL Context-59 (PC-59) validation (5105 images) for zero-shot semantic segmentation: mmseg's
# pascal_context_59.py (PascalContextDataset59, reduce_zero_label) at FC-CLIP's test scale (short side 640, long
# side at most 2560), every type scoped. Layout (mmseg's tools/dataset_converters/pascal_context.py output):
# data/VOCdevkit/VOC2010/{JPEGImages/*.jpg, SegmentationClassContext/*.png, ImageSets/SegmentationContext/val.txt}
# (docs/semantic_benchmarks.md).
_base_ = 'mmseg::_base_/datasets/pascal_context_59.py'
img_scale = (2560, 640)
test_pipeline = [
    dict(type='mmcv.LoadImageFromFile'),
    dict(type='mmseg.Resize', scale=img_scale, keep_ratio=True),
    dict(type='mmseg.LoadAnnotations'),
    dict(type='mmseg.PackSegInputs')
]
train_dataloader = None  # evaluation only
val_dataloader = dict(num_workers=2, dataset=dict(type='mmseg.PascalContextDataset59', pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='mmseg.IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
vocab = dict(class_list='pascal_context_59')
