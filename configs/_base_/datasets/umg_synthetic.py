# The toy world (tools/dataset_converters/make_synthetic.py) in the UMG pretraining format: umg41m.py's pipelines and
# loaders at the toy world's scale. `make quickstart` generates it into data/synthetic; elsewhere:
#   python tools/dataset_converters/make_synthetic.py DIR
_base_ = './umg41m.py'
data_root = 'data/synthetic'
img_size = 64
# umg41m.py's pipelines, cropping to 64 px
train_pipeline = [dict(t, size=img_size) if 'size' in t else t for t in _base_.train_pipeline]
test_pipeline = [dict(t, size=img_size) if 'size' in t else t for t in _base_.test_pipeline]
train_dataloader = dict(
    batch_size=32,
    num_workers=2,
    pin_memory=False,
    dataset=dict(data_root=data_root, ann_files='umg/train.jsonl', pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=32,
    num_workers=1,
    dataset=dict(data_root=data_root, ann_files='umg/val.jsonl', pipeline=test_pipeline))
test_dataloader = val_dataloader
