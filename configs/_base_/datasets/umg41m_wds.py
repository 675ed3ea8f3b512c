# UMG-41M streamed from WebDataset tar shards (its release format: one <key>.json beside one <key>.jpg per image,
# docs/data_format.md "UMG-41M's own layout"); umg41m.py's pipelines and validation set, only training streams.
# Expected layout: data/umg41m_wds/train-000000.tar, train-000001.tar, ... (any names: set `urls`), optionally
# data/umg41m_wds/train-index.json with each shard's sample count (tools/dataset_converters/umg2wds.py writes one;
# without it the epoch length is estimated from the headers of 64 evenly spaced shards and logged as an estimate).
# Training is iteration-based: a pass gives each rank len(dataset) = num_samples // world_size samples, each
# data loader worker a fixed share of it; persistent workers continue their streams from pass to pass.
_base_ = './umg41m.py'
data_root = 'data/umg41m_wds'
batch_size = 256  # per GPU; 8 GPUs -> 2048 a step
train_dataloader = dict(
    batch_size=batch_size,
    num_workers=8,
    persistent_workers=True,  # each worker's stream goes on where the last pass stopped
    pin_memory=True,
    sampler=None,  # an IterableDataset: shards are dealt to ranks and workers by the data set
    collate_fn=dict(type='umgclip_mm.pack_collate'),  # as umg41m.py's
    dataset=dict(
        _delete_=True,
        type='umgclip_mm.UMGWebDataset',
        data_root=data_root,
        urls='train-*.tar',
        shard_index=None,  # 'train-index.json' when the shards come with one
        num_samples=None,  # or the epoch length over all ranks
        batch_size=batch_size,  # whole batches per worker and pass: len(dataloader) is exact
        shuffle_buffer=5000,
        pipeline=_base_.train_pipeline))
