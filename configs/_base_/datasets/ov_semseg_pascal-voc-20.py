# PASCAL VOC 2012 without background (PAS-20): PAS-21 (ov_semseg_pascal-voc-21.py, same files) with the data set's
# classes the 20 objects, so mmseg's label_map turns background pixels into 255 (ignored) and renumbers the rest
# 0..19; the model's vocabulary has no background class either.
_base_ = './ov_semseg_pascal-voc-21.py'
classes = ('aeroplane', 'bicycle', 'bird', 'boat', 'bottle', 'bus', 'car', 'cat', 'chair', 'cow', 'diningtable',
           'dog', 'horse', 'motorbike', 'person', 'pottedplant', 'sheep', 'sofa', 'train', 'tvmonitor')
val_dataloader = dict(dataset=dict(metainfo=dict(classes=classes)))
test_dataloader = val_dataloader
vocab = dict(class_list='pascal_voc_20')
