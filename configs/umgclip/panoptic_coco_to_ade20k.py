# Zero-shot transfer: the COCO-trained checkpoint of panoptic_coco.py evaluated on ADE20K panoptic (150 classes).
# Only the data set and the test vocabulary change; the classifier is text, so no weight depends on the classes.
#   python tools/test.py configs/umgclip/panoptic_coco_to_ade20k.py work_dirs/panoptic_coco/iter_368750.pth
_base_ = ['../_base_/models/ov_mask2former_vitb16.py', '../_base_/datasets/ade20k_panoptic_ov.py',
          '../_base_/default_runtime.py']
default_scope = 'mmdet'

model = dict(
    train_vocab=dict(dataset='mmdet.CocoPanopticDataset'),  # what the checkpoint was trained on (seen classes)
    test_vocab={{_base_.vocab}})
test_cfg = dict(type='TestLoop')
val_cfg = dict(type='ValLoop')
