# The open-vocabulary panoptic model (ov_mask2former.py) as a semantic segmenter, for zero-shot evaluation of its
# COCO-panoptic checkpoints on semantic benchmarks (FC-CLIP's protocol): MaskFormer's semantic inference (class
# probabilities times mask probabilities, summed over queries, after the out-of-vocabulary ensemble) scored by
# mmseg's IoUMetric. Configs add a data set of configs/_base_/datasets/ov_semseg_*.py and take its `vocab` as
# model.test_vocab.
_base_ = './ov_mask2former.py'
model = dict(
    train_vocab=dict(dataset='mmdet.CocoPanopticDataset'),  # what the checkpoint was trained on (seen classes)
    test_cfg=dict(panoptic_on=False, semantic_on=True))
test_cfg = dict(type='TestLoop')
val_cfg = dict(type='ValLoop')
