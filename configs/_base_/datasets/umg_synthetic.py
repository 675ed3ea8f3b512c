# The toy world (tools/dataset_converters/make_synthetic.py) in the UMG pretraining format.
# `make quickstart` generates it into data/synthetic; elsewhere: python tools/dataset_converters/make_synthetic.py DIR
data_root = 'data/synthetic'
img_size = 64
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
    batch_size=32,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(type='umgclip_mm.UMGDataset', data_root=data_root, ann_files='umg/train.jsonl',
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=32,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(type='umgclip_mm.UMGDataset', data_root=data_root, ann_files='umg/val.jsonl',
                 pipeline=test_pipeline, test_mode=True))
test_dataloader = val_dataloader
val_evaluator = dict(type='umgclip_mm.MultiGranularityRetrievalMetric')
test_evaluator = val_evaluator
