# PASCAL Context-459 (PC-459) validation (5105 images) for zero-shot semantic segmentation: 16-bit labels (459
# classes, 65535 = ignore) in FC-CLIP's detectron2 layout, at FC-CLIP's test scale (short side 640, long side at most
# 2560), every type scoped. Layout: data/pascal_ctx_d2/images/validation/*.jpg + annotations_ctx459/validation/*.tif,
# made from VOC2010 JPEGImages and PASCAL Context's trainval/*.mat by
# tools/dataset_converters/prepare_pascal_context_459.py (docs/semantic_benchmarks.md).
data_root = 'data/pascal_ctx_d2/'
img_scale = (2560, 640)
test_pipeline = [
    dict(type='mmcv.LoadImageFromFile'),
    dict(type='mmseg.Resize', scale=img_scale, keep_ratio=True),
    dict(type='umgclip_mm.LoadSegAnnotations16'),
    dict(type='mmseg.PackSegInputs')
]
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='umgclip_mm.PascalContext459Dataset',
        data_root=data_root,
        data_prefix=dict(img_path='images/validation', seg_map_path='annotations_ctx459/validation'),
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='mmseg.IoUMetric', iou_metrics=['mIoU'], ignore_index=65535)
test_evaluator = val_evaluator
vocab = dict(class_list='pascal_context_459')
