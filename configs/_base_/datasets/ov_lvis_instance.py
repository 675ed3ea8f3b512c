# OV-LVIS, the open-vocabulary LVIS benchmark (ViLD's protocol, as Detic, F-VLM and F-ViT use it), on mmdet's
# lvis_v1_instance.py: train on the annotations of the 866 frequent and common classes (rare ones removed), evaluate
# on all 1203 classes of LVIS v1 val with mmdet's LVISMetric (box and mask AP; the rare classes' mask AP,
# lvis/segm_APr, is the published figure; needs the lvis package, requirements/runtime.txt).
# Layout: data/lvis_v1/{train2017,val2017}/*.jpg (COCO 2017's images: LVIS names them by COCO URL) and
# data/lvis_v1/annotations/lvis_v1_{train,val}.json (https://www.lvisdataset.org/dataset), plus
# data/lvis_v1/annotations/lvis_v1_train_norare.json made by
#     python tools/dataset_converters/prepare_ov_lvis.py data/lvis_v1
# (docs/detection_benchmarks.md).
_base_ = 'mmdet::_base_/datasets/lvis_v1_instance.py'
data_root = 'data/lvis_v1/'
# The classes by the "frequency" of LVIS v1's categories (r: in 1-10 training images; c: 11-100; f: more), in
# category id order, named as mmdet's LVISV1Dataset.METAINFO names them: the shipped class lists
# umgclip_mm/vocabulary/class_lists/lvis_v1_base_866.txt (c and f) and lvis_v1_rare_337.txt (r).
#
# What the model needs to know of this data set: it trains on the base classes (label i = train_vocab's class i) and
# is tested on all 1203, the rare ones unseen. For Detic's variant (a classifier over all 1203 in training, the rare
# ones never positive) delete the train data set's class_list and set train_vocab = test_vocab.
train_vocab = dict(class_list='lvis_v1_base_866')
test_vocab = dict(dataset='mmdet.LVISV1Dataset')
train_dataloader = dict(
    dataset=dict(  # in mmdet's ClassBalancedDataset (repeat factor sampling, oversample_thr 1e-3)
        dataset=dict(
            type='umgclip_mm.OVLVISDataset',
            data_root=data_root,
            ann_file='annotations/lvis_v1_train_norare.json',
            data_prefix=dict(img=''),
            class_list='lvis_v1_base_866')))  # labels number the base classes alone
val_dataloader = dict(
    dataset=dict(
        type='umgclip_mm.OVLVISDataset',
        data_root=data_root,
        ann_file='annotations/lvis_v1_val.json',
        data_prefix=dict(img='')))
test_dataloader = val_dataloader
val_evaluator = dict(type='mmdet.LVISMetric', ann_file=data_root + 'annotations/lvis_v1_val.json',
                     metric=['bbox', 'segm'])
test_evaluator = val_evaluator
