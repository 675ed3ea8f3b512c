# PASCAL Context-459 (PC-459) validation (5105 images) for zero-shot semantic segmentation: 16-bit labels (459
# classes, 65535 = ignore) in FC-CLIP's detectron2 layout, at FC-CLIP's test scale (short side 640, long side at most
# 2560), every type scoped. Layout: data/pascal_ctx_d2/images/validation/*.jpg + annotations_ctx459/validation/*.tif,
# made from VOC2010 JPEGImages and PASCAL Context's trainval/*.mat by
# tools/dataset_converters/prepare_pascal_context_459.py (docs/semantic_benchmarks.md).
_base_ = './ov_semseg_16bit-labels.py'
data_root = 'data/pascal_ctx_d2/'
val_dataloader = dict(
    dataset=dict(
        type='umgclip_mm.PascalContext459Dataset',
        data_root=data_root,
        data_prefix=dict(img_path='images/validation', seg_map_path='annotations_ctx459/validation')))
test_dataloader = val_dataloader
vocab = dict(class_list='pascal_context_459')
