# Open-vocabulary detection on your own COCO-format instances (docs/custom_data.md, "Detection"): F-VLM on a frozen
# UMG-CLIP ViT-B/16, as configs/fvlm/*_ov-coco.py, trained on the boxes of the seen classes and evaluated on all of
# them, box AP50 of seen (base) and unseen (novel) apart. Every class list is a file, one class per line, the names
# as the annotation files' "categories" spell them; label i is line i of `classes`.
# As it is, it runs on the quickstart's toy world (python tools/dataset_converters/make_synthetic.py data/synthetic);
# for your data change data_root, the annotation files and the four class files (here or with --cfg-options):
#   data/my_detection/images/{train,val}/*.jpg   data/my_detection/annotations/instances_{train,val}.json
#   python tools/analysis/browse_dataset.py \
#       configs/custom/fvlm_umgclip-vit-b16_vit-pyramid_8xb2-1x_custom-coco-instances.py
#   python tools/train.py configs/custom/fvlm_umgclip-vit-b16_vit-pyramid_8xb2-1x_custom-coco-instances.py
_base_ = '../fvlm/fvlm_umgclip-vit-b16_vit-pyramid_8xb2-1x_ov-coco.py'
data_root = 'data/synthetic/'
ann_train, ann_val = 'annotations/instances_train.json', 'annotations/instances_val.json'
img_train, img_val = 'images/train/', 'images/val/'
classes = 'configs/custom/toy_vocab/things.txt'  # every class evaluated, in label order
seen_classes = 'configs/custom/toy_vocab/seen_things.txt'  # the classes trained on: only their boxes are read
unseen_classes = 'configs/custom/toy_vocab/unseen_things.txt'  # = classes not in seen_classes (the novel AP50's)
model = dict(train_vocab=seen_classes, test_vocab=classes)
train_dataloader = dict(
    dataset=dict(data_root=data_root, ann_file=ann_train, data_prefix=dict(img=img_train),
                 metainfo=dict(classes=seen_classes),
                 skip_unlisted_images=True))  # inductive zero-shot: leave out images that show an unseen class
val_dataloader = dict(
    dataset=dict(data_root=data_root, ann_file=ann_val, data_prefix=dict(img=img_val),
                 metainfo=dict(classes=classes, base_classes=seen_classes, novel_classes=unseen_classes)))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + ann_val)
test_evaluator = val_evaluator
