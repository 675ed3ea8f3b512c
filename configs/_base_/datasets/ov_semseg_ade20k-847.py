# ADE20K-Full validation (2000 images) for zero-shot semantic segmentation: 16-bit labels (847 classes,
# 65535 = ignore) in the detectron2 layout of FC-CLIP / SAN / CAT-Seg, at FC-CLIP's test scale (short side 640, long
# side at most 2560), every type scoped. Layout: data/ADE20K_2021_17_01/images_detectron2/validation/ADE_val_*.jpg +
# annotations_detectron2/validation/ADE_val_*.tif, made from the ADE20K full release (index_ade20k.pkl + images/ADE/)
# by tools/dataset_converters/prepare_ade20k_847.py (docs/semantic_benchmarks.md).
_base_ = './ov_semseg_16bit-labels.py'
data_root = 'data/ADE20K_2021_17_01/'
val_dataloader = dict(
    dataset=dict(
        type='umgclip_mm.ADE20K847Dataset',
        data_root=data_root,
        data_prefix=dict(img_path='images_detectron2/validation', seg_map_path='annotations_detectron2/validation')))
test_dataloader = val_dataloader
vocab = dict(class_list='ade20k_847')  # FC-CLIP's prompt-engineered names; first names = the data set's classes
