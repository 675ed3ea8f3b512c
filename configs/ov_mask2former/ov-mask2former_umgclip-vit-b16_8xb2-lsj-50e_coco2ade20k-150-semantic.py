# Zero-shot semantic segmentation on ADE20K-150, test only (FC-CLIP's protocol): the COCO-panoptic checkpoint
# of ov-mask2former_umgclip-vit-b16_8xb2-lsj-50e_coco-panoptic.py, its semantic output scored by mmseg's IoUMetric.
# Only the data set and the test vocabulary change.
#   python tools/test.py configs/ov_mask2former/ov-mask2former_umgclip-vit-b16_8xb2-lsj-50e_coco2ade20k-150-semantic.py \
#       work_dirs/ov-mask2former_umgclip-vit-b16_8xb2-lsj-50e_coco-panoptic/iter_368750.pth
_base_ = ['../_base_/models/ov_mask2former_semantic.py', '../_base_/datasets/ov_semseg_ade20k-150.py',
          '../_base_/det_runtime.py']
default_scope = 'mmdet'
model = dict(test_vocab=_base_.vocab)
