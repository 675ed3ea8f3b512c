# ADE20K panoptic (150 classes) for zero-shot evaluation of the open-vocabulary panoptic model: mmdet's data set,
# test pipeline (short side 640) and CocoPanopticMetric (mmdet's ade20k_panoptic.py). Layout (mmdet's
# tools/dataset_converters/ade20k2coco.py output): data/ADEChallengeData2016/images/validation/*.jpg,
# data/ADEChallengeData2016/ade20k_panoptic_val.json and data/ADEChallengeData2016/ade20k_panoptic_val/*.png.
_base_ = 'mmdet::_base_/datasets/ade20k_panoptic.py'
val_dataloader = dict(num_workers=2, persistent_workers=True)
test_dataloader = val_dataloader
vocab = dict(dataset='mmdet.ADE20KPanopticDataset')
