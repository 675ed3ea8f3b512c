# Zero-shot semantic segmentation on ADE20K-150, test only: the COCO-Stuff checkpoint of
# ov-semseg_umgclip-vit-b16_8xb2-80k_coco-stuff-171.py with the test vocabulary and data set switched.
#   python tools/test.py configs/ov_semseg/ov-semseg_umgclip-vit-b16_8xb2-80k_coco-stuff2ade20k-150.py \
#       work_dirs/ov-semseg_umgclip-vit-b16_8xb2-80k_coco-stuff-171/iter_80000.pth
# Large images: --cfg-options model.test_cfg.mode=slide model.test_cfg.crop_size="(640,640)" \
#     model.test_cfg.stride="(426,426)"
_base_ = ['../_base_/models/ov_encoder_decoder.py', '../_base_/datasets/ov_semseg_ade20k-150.py',
          '../_base_/seg_runtime.py']
default_scope = 'mmseg'
model = dict(test_vocab=_base_.vocab)  # train_vocab: COCO-Stuff's 171 classes (the model base's)
test_cfg = dict(type='TestLoop')
val_cfg = dict(type='ValLoop')
