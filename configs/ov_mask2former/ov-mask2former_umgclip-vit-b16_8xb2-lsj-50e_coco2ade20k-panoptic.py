# Zero-shot transfer, test only: the COCO-trained checkpoint of
# ov-mask2former_umgclip-vit-b16_8xb2-lsj-50e_coco-panoptic.py evaluated on ADE20K panoptic (150 classes).
# Only the data set and the test vocabulary change; the classifier is text, so no weight depends on the classes.
_base_ = ['../_base_/models/ov_mask2former.py', '../_base_/datasets/ade20k_panoptic_ov.py',
          '../_base_/det_runtime.py']
default_scope = 'mmdet'

model = dict(
    train_vocab=dict(dataset='mmdet.CocoPanopticDataset'),  # what the checkpoint was trained on (seen classes)
    test_vocab=_base_.vocab)
test_cfg = dict(type='TestLoop')
val_cfg = dict(type='ValLoop')
