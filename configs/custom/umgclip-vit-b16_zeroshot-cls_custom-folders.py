# Zero-shot classification of your own folder-per-class images (docs/custom_data.md, "Classification"): a frozen
# UMG-CLIP ViT-B/16, as configs/zeroshot/umgclip-vit-b16_zeroshot-cls_custom.py, with the class names read from a
# file (one per line, in the folders' sorted order: line i names the i-th folder, as the text tower should read it,
# e.g. "golden retriever" for folder n02099601). Nothing is trained, so every class is unseen; top-k follows the
# number of classes (3 classes: top-1 only, logged).
#   data/my_classification/<folder of class 0>/*.jpg ...   data/my_classification/classes.txt
#   python tools/test.py configs/custom/umgclip-vit-b16_zeroshot-cls_custom-folders.py CHECKPOINT
_base_ = '../zeroshot/umgclip-vit-b16_zeroshot-cls_custom.py'
data_root = 'data/my_classification'
classes = 'configs/custom/toy_vocab/things.txt'  # yours: data_root + '/classes.txt'
model = dict(vocab=classes)
test_dataloader = dict(dataset=dict(data_root=data_root, classes=classes))
