# Open-vocabulary panoptic segmentation on your own COCO panoptic data (docs/custom_data.md, "Panoptic"): the
# open-vocabulary Mask2Former on a frozen UMG-CLIP ViT-B/16, as configs/ov_mask2former/*_coco-panoptic.py, trained
# on the seen classes and evaluated on all, PQ of seen and unseen apart. Class lists are files, one class per line,
# named as the annotation file's "categories"; things come first in `classes` (label order = things then stuff).
# As it is, it runs on the quickstart's toy world (python tools/dataset_converters/make_synthetic.py data/synthetic);
# for your data change data_root, the annotation files and the class files:
#   data/my_panoptic/images/{train,val}/*.jpg   data/my_panoptic/annotations/panoptic_{train,val}.json
#   data/my_panoptic/annotations/panoptic_{train,val}/*.png (COCO panoptic PNGs, id = R + 256 G + 256^2 B)
#   python tools/analysis/browse_dataset.py \
#       configs/custom/ov-mask2former_umgclip-vit-b16_8xb2-lsj-50e_custom-coco-panoptic.py
_base_ = '../ov_mask2former/ov-mask2former_umgclip-vit-b16_8xb2-lsj-50e_coco-panoptic.py'
data_root = 'data/synthetic/'
vocab = 'configs/custom/toy_vocab/'
things, stuff, classes = vocab + 'things.txt', vocab + 'stuff.txt', vocab + 'classes.txt'  # classes = things + stuff
seen_things, seen_stuff = vocab + 'seen_things.txt', vocab + 'seen_stuff.txt'
seen_classes = vocab + 'seen.txt'  # = seen_things + seen_stuff
unseen_classes = vocab + 'unseen.txt'  # = classes not seen (PQ_unseen's)
model = dict(train_vocab=dict(_delete_=True, thing_classes_file=seen_things, stuff_classes_file=seen_stuff),
             test_vocab=dict(_delete_=True, thing_classes_file=things, stuff_classes_file=stuff))
train_dataloader = dict(
    dataset=dict(type='umgclip_mm.OVCocoPanopticDataset', data_root=data_root,
                 ann_file='annotations/panoptic_train.json',
                 data_prefix=dict(img='images/train/', seg='annotations/panoptic_train/'),
                 metainfo=dict(classes=seen_classes, thing_classes=seen_things, stuff_classes=seen_stuff),
                 skip_unlisted_images=True))  # inductive zero-shot: leave out images that show an unseen class
val_dataloader = dict(
    dataset=dict(type='umgclip_mm.OVCocoPanopticDataset', data_root=data_root,
                 ann_file='annotations/panoptic_val.json',
                 data_prefix=dict(img='images/val/', seg='annotations/panoptic_val/'),
                 metainfo=dict(classes=classes, thing_classes=things, stuff_classes=stuff)))
test_dataloader = val_dataloader
val_evaluator = dict(type='umgclip_mm.OVCocoPanopticMetric', ann_file=data_root + 'annotations/panoptic_val.json',
                     seg_prefix=data_root + 'annotations/panoptic_val/', unseen_classes=unseen_classes)
test_evaluator = val_evaluator
