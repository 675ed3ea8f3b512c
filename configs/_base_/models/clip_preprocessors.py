# CLIP's input normalisation for the task models on a frozen UMG-CLIP, as variables a model config merges in
# (`data_preprocessor=dict(_base_.clip_seg_preprocessor, size_divisor=32)`): CLIP's mean/std in 0-255 RGB
# (umgclip_mm.models.pretrainers.umgclip.CLIP_MEAN / CLIP_STD), mmcv's BGR images turned to RGB.
clip_mean = [122.770938, 116.7460125, 104.09373615]
clip_std = [68.5005327, 66.6321579, 70.32316305]
# mmseg's: test images padded to a multiple of 32 (and cropped back by mmseg's post-processing), label maps with 255
clip_seg_preprocessor = dict(type='mmseg.SegDataPreProcessor', mean=clip_mean, std=clip_std, bgr_to_rgb=True,
                             pad_val=0, seg_pad_val=255, test_cfg=dict(size_divisor=32))
# mmdet's: images (and instance masks, with 0) padded to a multiple of 32
clip_det_preprocessor = dict(type='mmdet.DetDataPreprocessor', mean=clip_mean, std=clip_std, bgr_to_rgb=True,
                             pad_size_divisor=32, pad_mask=True)
