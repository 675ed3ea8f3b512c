# UMG-41M (or any data in the UMG JSON-lines format, docs/data_format.md) for pretraining.
# Expected layout: data/umg41m/{images...} and data/umg41m/annotations/{train,val}-*.jsonl (relative image paths).
data_root = 'data/umg41m'
img_size = 224
train_pipeline = [
    dict(type='umgclip_mm.LoadUMGImage'),
    dict(type='umgclip_mm.LoadUMGAnnotations'),
    dict(type='umgclip_mm.UMGRandomResizedCrop', size=img_size, scale=(0.5, 1.0)),
    dict(type='umgclip_mm.SampleCaptions'),
    dict(type='umgclip_mm.PackUMGInputs'),
]
test_pipeline = [
    dict(type='umgclip_mm.LoadUMGImage'),
    dict(type='umgclip_mm.LoadUMGAnnotations'),
    dict(type='umgclip_mm.UMGRandomResizedCrop', size=img_size, random=False),
    dict(type='umgclip_mm.SampleCaptions', random=False),
    dict(type='umgclip_mm.PackUMGInputs'),
]
train_dataloader = dict(
    batch_size=256,  # per GPU; 8 GPUs -> 2048 a step
    num_workers=8,
    persistent_workers=True,
    pin_memory=True,
    # InfiniteSampler's endless shuffled stream, which a resume enters at its position instead of reloading every
    # earlier batch (with FastResumeIterBasedTrainLoop); each sample's augmentation is seeded by its position
    sampler=dict(type='umgclip_mm.ResumableInfiniteSampler', shuffle=True),
    # pseudo_collate's batch with the images stacked and each kind of annotation tensor in one storage, written by
    # the worker straight into shared memory: a few segments per batch instead of three per image
    # (tools/analysis/benchmark_datapath.py)
    collate_fn=dict(type='umgclip_mm.pack_collate'),
    dataset=dict(type='umgclip_mm.UMGDataset', data_root=data_root, ann_files='annotations/train-*.jsonl',
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=64,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(type='umgclip_mm.UMGDataset', data_root=data_root, ann_files='annotations/val-*.jsonl',
                 pipeline=test_pipeline, test_mode=True))
test_dataloader = val_dataloader
val_evaluator = dict(type='umgclip_mm.MultiGranularityRetrievalMetric')
test_evaluator = val_evaluator
