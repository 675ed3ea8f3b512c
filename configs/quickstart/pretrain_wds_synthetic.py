# pretrain_synthetic.py with the training images streamed from WebDataset tar shards (UMGWebDataset) instead of
# read through the JSON-lines index: the streaming path UMG-41M uses, at toy scale.
#   python tools/dataset_converters/make_synthetic.py data/synthetic
#   python tools/dataset_converters/umg2wds.py data/synthetic/umg/train.jsonl data/synthetic/wds/train \
#       --data-root data/synthetic --shard-size 500
#   python tools/train.py configs/quickstart/pretrain_wds_synthetic.py
_base_ = ['./pretrain_synthetic.py']
batch_size = 32
train_dataloader = dict(
    batch_size=batch_size,
    num_workers=2,
    persistent_workers=True,
    sampler=None,  # an IterableDataset: the data set deals shards to ranks and workers
    dataset=dict(
        _delete_=True,
        type='umgclip_mm.UMGWebDataset',
        data_root='data/synthetic',
        urls='wds/train-*.tar',
        shard_index='wds/train-index.json',  # epoch length: the sample counts umg2wds.py wrote
        batch_size=batch_size,
        shuffle_buffer=500,
        pipeline=_base_.train_pipeline))
