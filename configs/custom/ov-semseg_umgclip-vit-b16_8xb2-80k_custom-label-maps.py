# Open-vocabulary semantic segmentation on your own label maps (docs/custom_data.md, "Semantic"): the
# open-vocabulary Mask2Former head on a frozen UMG-CLIP ViT-B/16, as configs/ov_semseg/*, trained on the seen classes
# and evaluated on all, mIoU of seen and unseen apart. A folder of images and a folder of label maps with the same
# file stems (uint8 PNG: pixel = line number of its class in `classes`, 255 = unlabelled; 16-bit maps: see
# docs/custom_data.md). Class lists are files, one class per line.
# As it is, it runs on the quickstart's toy world (python tools/dataset_converters/make_synthetic.py data/synthetic);
# for your data change data_root, the folders and the class files:
#   data/my_semseg/images/{train,val}/*.jpg   data/my_semseg/semantic/{train,val}/*.png
#   python tools/analysis/browse_dataset.py configs/custom/ov-semseg_umgclip-vit-b16_8xb2-80k_custom-label-maps.py
_base_ = '../ov_semseg/ov-semseg_umgclip-vit-b16_8xb2-80k_coco-stuff-171.py'
data_root = 'data/synthetic/'
img_suffix, seg_map_suffix = '.png', '.png'
classes = 'configs/custom/toy_vocab/classes.txt'  # every class, in label order (pixel value i = line i)
seen_classes = 'configs/custom/toy_vocab/seen.txt'  # the classes trained on (the rest: unlabelled in training)
unseen_classes = 'configs/custom/toy_vocab/unseen.txt'  # = classes not in seen_classes (mIoU_unseen's)
model = dict(train_vocab=seen_classes, test_vocab=classes)
train_dataloader = dict(
    dataset=dict(type='umgclip_mm.OVSemSegDataset', data_root=data_root, class_list=classes,
                 seen_classes=seen_classes, img_suffix=img_suffix, seg_map_suffix=seg_map_suffix,
                 data_prefix=dict(img_path='images/train', seg_map_path='semantic/train'),
                 skip_unlisted_images=True))  # inductive zero-shot: leave out images that show an unseen class
val_dataloader = dict(
    dataset=dict(type='umgclip_mm.OVSemSegDataset', data_root=data_root, class_list=classes,
                 img_suffix=img_suffix, seg_map_suffix=seg_map_suffix,
                 data_prefix=dict(img_path='images/val', seg_map_path='semantic/val'), test_mode=True))
test_dataloader = val_dataloader
val_evaluator = dict(type='umgclip_mm.OVIoUMetric', unseen_classes=unseen_classes)
test_evaluator = val_evaluator
