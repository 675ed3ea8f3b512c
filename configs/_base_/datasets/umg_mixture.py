# Pretraining on public multi-granularity sources mixed with sampling weights (UMGMixtureDataset), each converted
# to UMG JSON-lines by its tool in tools/dataset_converters/ (docs/data_format.md: a table per source):
#   vg2umg.py -> data/vg/umg/train-*.jsonl                 (images in data/vg/VG_100K, VG_100K_2)
#   refcoco2umg.py -> data/coco/umg/refcoco-*.jsonl, refcocog-*.jsonl (images in data/coco/train2014)
#   flickr30k_entities2umg.py -> data/flickr30k/umg/train-*.jsonl
#   coco2umg.py -> data/coco/umg/train-*.jsonl             (images in data/coco/train2017)
#   gbc2umg.py -> data/gbc10m/umg/train-*.jsonl
#   mg_data2umg.py -> data/mg_data/umg/train-*.jsonl
# umg41m.py's pipelines, sampler and validation set; only the training data set changes. The weights are a
# starting point, not UMG-CLIP's (the paper trains on UMG-41M as one set): the web-scale sources (GBC, MG-Data)
# carry most of a pass, the human-annotated region sources are up-weighted well beyond their size (a source whose
# share exceeds its size is repeated whole each pass; a larger one is sampled, other records each pass).
# Remove a source from `sources` to train without it.
_base_ = './umg41m.py'
sources = [  # (name, data root, shards, weight)
    ('gbc10m', 'data/gbc10m', 'umg/train-*.jsonl', 35),
    ('mg_data', 'data/mg_data', 'umg/train-*.jsonl', 35),
    ('vg', 'data/vg', 'umg/train-*.jsonl', 10),
    ('coco', 'data/coco', 'umg/train-*.jsonl', 8),
    ('refcoco', 'data/coco', 'umg/refcoco-*.jsonl', 4),
    ('refcocog', 'data/coco', 'umg/refcocog-*.jsonl', 4),
    ('flickr30k_entities', 'data/flickr30k', 'umg/train-*.jsonl', 4),
]
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='umgclip_mm.UMGMixtureDataset',
        names=[s[0] for s in sources],
        weights=[s[3] for s in sources],
        length=20_000_000,  # samples per pass of the sampler (every source appears in its share each pass)
        log_interval=10000,
        datasets=[dict(type='umgclip_mm.UMGDataset', data_root=s[1], ann_files=s[2], pipeline=_base_.train_pipeline)
                  for s in sources]))
