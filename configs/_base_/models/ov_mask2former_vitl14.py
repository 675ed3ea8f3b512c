# Open-vocabulary Mask2Former (umgclip_mm.OVMask2Former) on the frozen towers of umgclip_vitl14.py.
_base_ = ['./umgclip_vitl14.py', './ov_mask2former_parts.py']
model = dict(
    _delete_=True,
    type='umgclip_mm.OVMask2Former',
    clip={{_base_.model}},
    data_preprocessor={{_base_.ov_data_preprocessor}},
    neck={{_base_.ov_neck}},
    panoptic_head={{_base_.ov_head}},
    panoptic_fusion_head={{_base_.ov_fusion_head}},
    train_cfg={{_base_.ov_train_cfg}},
    test_cfg={{_base_.ov_test_cfg}},
    train_vocab=dict(dataset='mmdet.CocoPanopticDataset'),  # Mask2Former's default: COCO panoptic's 133 classes
    ensemble={{_base_.ov_ensemble}})
# 14 px patches: the ViT grid is at stride 14; the pyramid is resized to strides 3.5..28 (the decoder is stride-free)
