# pretrain_synthetic.py on a mixture of three sources with sampling weights (UMGMixtureDataset): the toy world's own
# records (image, region and mask levels), and the toy world's COCO files converted twice, once as boxes only
# (instances) and once as masks only (panoptic), as converted public data sets are mixed for UMG-41M-style
# pretraining (configs/_base_/datasets/umg_mixture.py). Each pass draws every source in its share; resume stays
# exact (a sample's source follows from its stream position); the skip log names the source of every sample.
#   python tools/dataset_converters/make_synthetic.py data/synthetic
#   python tools/dataset_converters/coco2umg.py data/synthetic/coco_umg/boxes --image-prefix images/train \
#       --instances data/synthetic/annotations/instances_train.json
#   python tools/dataset_converters/coco2umg.py data/synthetic/coco_umg/panoptic --image-prefix images/train \
#       --panoptic data/synthetic/annotations/panoptic_train.json \
#       --panoptic-dir data/synthetic/annotations/panoptic_train
#   python tools/train.py configs/quickstart/pretrain_mixture_synthetic.py
_base_ = ['./pretrain_synthetic.py']
data_root = 'data/synthetic'
sources = [('toy', 'umg/train.jsonl', 2), ('coco_boxes', 'coco_umg/boxes-*.jsonl', 1),
           ('coco_panoptic', 'coco_umg/panoptic-*.jsonl', 1)]  # (name, shards, weight)
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='umgclip_mm.UMGMixtureDataset',
        names=[s[0] for s in sources],
        weights=[s[2] for s in sources],  # half a pass from the toy world's records, a quarter from each other
        log_interval=500,  # per-source counts in the log every 500 samples a process draws
        datasets=[dict(type='umgclip_mm.UMGDataset', data_root=data_root, ann_files=s[1],
                       pipeline=_base_.train_pipeline) for s in sources]))
