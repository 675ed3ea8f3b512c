# OV-COCO, the open-vocabulary COCO detection benchmark (OVR-CNN's split, as Detic, F-VLM, BARON, CORA and F-ViT use
# it), on mmdet's coco_detection.py: train on the boxes of the 48 base classes, evaluate on val2017's 65 base and
# novel classes with mmdet's OVCocoMetric, which reports box AP50 of the two apart (coco/base_ap50,
# coco/novel_ap50; novel AP50 is the published figure).
# Layout: data/coco/{train2017,val2017}/*.jpg and data/coco/annotations/instances_train2017_seen_2.json,
# instances_val2017_all_2.json, made from COCO 2017's instances_{train,val}2017.json by
#     python tools/dataset_converters/prepare_ov_coco.py data/coco
# (docs/detection_benchmarks.md). Class names as COCO's, in COCO's order (= the label order):
# umgclip_mm/vocabulary/class_lists/ov_coco_base_48.txt and ov_coco_novel_17.txt.
_base_ = 'mmdet::_base_/datasets/coco_detection.py'
data_root = 'data/coco/'
base_classes = [
    'person', 'bicycle', 'car', 'motorcycle', 'train', 'truck', 'boat', 'bench', 'bird', 'horse', 'sheep', 'bear',
    'zebra', 'giraffe', 'backpack', 'handbag', 'suitcase', 'frisbee', 'skis', 'kite', 'surfboard', 'bottle', 'fork',
    'spoon', 'bowl', 'banana', 'apple', 'sandwich', 'orange', 'broccoli', 'carrot', 'pizza', 'donut', 'chair', 'bed',
    'toilet', 'tv', 'laptop', 'mouse', 'remote', 'microwave', 'oven', 'toaster', 'refrigerator', 'book', 'clock',
    'vase', 'toothbrush'
]
novel_classes = [
    'airplane', 'bus', 'cat', 'dog', 'cow', 'elephant', 'umbrella', 'tie', 'snowboard', 'skateboard', 'cup', 'knife',
    'cake', 'couch', 'keyboard', 'sink', 'scissors'
]
classes = [  # the 65 evaluated, in COCO's order
    'person', 'bicycle', 'car', 'motorcycle', 'airplane', 'bus', 'train', 'truck', 'boat', 'bench', 'bird', 'cat',
    'dog', 'horse', 'sheep', 'cow', 'elephant', 'bear', 'zebra', 'giraffe', 'backpack', 'umbrella', 'handbag', 'tie',
    'suitcase', 'frisbee', 'skis', 'snowboard', 'kite', 'skateboard', 'surfboard', 'bottle', 'cup', 'fork', 'knife',
    'spoon', 'bowl', 'banana', 'apple', 'sandwich', 'orange', 'broccoli', 'carrot', 'pizza', 'donut', 'cake', 'chair',
    'couch', 'bed', 'toilet', 'tv', 'laptop', 'mouse', 'remote', 'keyboard', 'microwave', 'oven', 'toaster', 'sink',
    'refrigerator', 'book', 'clock', 'vase', 'scissors', 'toothbrush'
]
# what the model needs to know of this data set: the classes it trains on (label i = train_vocab's class i) and the
# classes it is tested on (the novel ones are those not in train_vocab)
train_vocab = dict(classes=base_classes)
test_vocab = dict(classes=classes)
train_dataloader = dict(
    dataset=dict(
        type='umgclip_mm.OVCocoDataset',
        data_root=data_root,
        ann_file='annotations/instances_train2017_seen_2.json',
        data_prefix=dict(img='train2017/'),
        metainfo=dict(classes=base_classes),  # base boxes only; images without one are filtered (filter_empty_gt)
        filter_cfg=dict(filter_empty_gt=True, min_size=32)))
val_dataloader = dict(
    dataset=dict(
        type='umgclip_mm.OVCocoDataset',
        data_root=data_root,
        ann_file='annotations/instances_val2017_all_2.json',
        data_prefix=dict(img='val2017/'),
        metainfo=dict(classes=classes, base_classes=base_classes, novel_classes=novel_classes)))
test_dataloader = val_dataloader
val_evaluator = dict(
    type='mmdet.OVCocoMetric', ann_file=data_root + 'annotations/instances_val2017_all_2.json', metric='bbox')
test_evaluator = val_evaluator
