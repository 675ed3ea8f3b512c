# The documented entry point of open-vocabulary panoptic segmentation, kept under its first name: the flagship
# configs/ov_mask2former/ov-mask2former_umgclip-vit-b16_8xb2-lsj-50e_coco-panoptic.py
# (Mask2Former on a frozen UMG-CLIP ViT-B/16, COCO panoptic). Its README has the commands and the variants.
_base_ = '../ov_mask2former/ov-mask2former_umgclip-vit-b16_8xb2-lsj-50e_coco-panoptic.py'
