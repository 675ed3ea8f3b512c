# ADE20K-150 validation for zero-shot semantic segmentation: mmseg's ade20k.py (ADE20KDataset, the original
# annotations read with reduce_zero_label) at FC-CLIP's test scale (short side 640, long side at most 2560), every
# type scoped so the file works under mmseg's and mmdet's default scope alike. Layout (mmseg's):
# data/ade/ADEChallengeData2016/images/validation/ADE_val_*.jpg + annotations/validation/ADE_val_*.png, unzipped
# from ADEChallengeData2016.zip (docs/semantic_benchmarks.md).
_base_ = 'mmseg::_base_/datasets/ade20k.py'
img_scale = (2560, 640)
test_pipeline = [
    dict(type='mmcv.LoadImageFromFile'),
    dict(type='mmseg.Resize', scale=img_scale, keep_ratio=True),
    dict(type='mmseg.LoadAnnotations'),  # after Resize: scored at the original size
    dict(type='mmseg.PackSegInputs')
]
train_dataloader = None  # evaluation only (mmengine's Runner wants no train_dataloader without train_cfg)
val_dataloader = dict(num_workers=2, dataset=dict(type='mmseg.ADE20KDataset', pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='mmseg.IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
vocab = dict(class_list='ade20k_150')  # the model's test vocabulary: mmseg's names first, then FC-CLIP's synonyms
