# The evaluation side of a semantic segmentation benchmark with 16-bit label maps (ADE20K-847, PASCAL Context-459:
# more classes than uint8 holds, 65535 = ignore) at FC-CLIP's test scale (short side 640, long side at most 2560),
# every type scoped. The data set files built on it (ov_semseg_ade20k-847.py, ov_semseg_pascal-context-459.py) add
# the data set: its type, data_root and folders, and the vocabulary.
img_scale = (2560, 640)
test_pipeline = [
    dict(type='mmcv.LoadImageFromFile'),
    dict(type='mmseg.Resize', scale=img_scale, keep_ratio=True),
    dict(type='umgclip_mm.LoadSegAnnotations16'),  # mmseg's LoadAnnotations would fold the labels into 8 bits
    dict(type='mmseg.PackSegInputs')
]
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='mmseg.IoUMetric', iou_metrics=['mIoU'], ignore_index=65535)
test_evaluator = val_evaluator
