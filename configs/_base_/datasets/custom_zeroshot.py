# Any image classification set as a folder per class (mmpretrain's `CustomDataset`), for zero-shot evaluation:
#   data/my_dataset/<class folder>/<image> ...
# `classes`: the class name of each folder, in the folders' sorted order (the name the text tower reads, e.g.
# "golden retriever" for folder "n02099601"); a list, or the path of a file with one per line.
# CLIP's preprocessing (short side to 224, bicubic, centre crop), top-1 / top-5 accuracy and mean per-class recall
# (a set of fewer than 5 classes reports the top-k it has: 3 classes, top-1 only, with a note in the log).
_base_ = './imagenet_zeroshot.py'
data_root = 'data/my_dataset'
classes = ['cat', 'dog', 'horse']
test_dataloader = dict(dataset=dict(_delete_=True, type='CustomDataset', data_root=data_root, classes=classes,
                                    with_label=True, pipeline=_base_.test_pipeline))
