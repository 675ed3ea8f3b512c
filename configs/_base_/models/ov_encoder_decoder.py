# The open-vocabulary semantic segmentor (umgclip_mm.OVEncoderDecoder) for mmseg's runner, on a frozen UMG-CLIP
# ViT-B/16: the panoptic model's neck and open-vocabulary Mask2Former head (ov_mask2former_head.py) trained from label
# maps, MaskFormer's semantic inference and FC-CLIP's ensemble. Trained on COCO-Stuff's 171 classes
# (FC-CLIP trains on COCO panoptic's 133; the mmseg route trains on mmseg's COCOStuffDataset). Configs switch the tower
# with `model = dict(clip=...)` from umgclip_towers.py and the test vocabulary with `model = dict(test_vocab=...)`.
_base_ = ['./umgclip_towers.py', './ov_mask2former_head.py', './clip_preprocessors.py']
model = dict(
    type='umgclip_mm.OVEncoderDecoder',
    clip=_base_.umgclip_vitb16,
    # CLIP's normalisation; training crops padded to a multiple of 32 too
    data_preprocessor=dict(_base_.clip_seg_preprocessor, size_divisor=32),
    neck=dict(type='mmseg.MultiLevelNeck', out_channels=256, scales=[4, 2, 1, 0.5]),
    decode_head=dict(_base_.ov_mask2former_head, type='umgclip_mm.OVMask2FormerSegHead', ignore_index=255),
    train_cfg=_base_.ov_mask2former_train_cfg,
    test_cfg=dict(mode='whole'),
    train_vocab=dict(dataset='mmseg.COCOStuffDataset'),  # mmseg's 171 COCO-Stuff class names
    # the default prompt templates; class embeddings cached in the machine's shared folder ('default':
    # $UMGCLIP_CACHE_DIR/text_embeddings, else ~/.cache/umgclip_mm/text_embeddings; None: memory only)
    vocab_encoder=dict(type='umgclip_mm.VocabularyEncoder', cache_dir='default'),
    # FC-CLIP's geometric ensemble of the head's and the frozen UMG-CLIP's class probabilities; None turns it off
    ensemble=dict(type='umgclip_mm.OOVEnsemble', alpha=0.4, beta=0.8))
# Checks the data sets' classes, the model's vocabularies and the metric's unseen list against each other before
# training, validation and testing.
custom_hooks = [dict(type='umgclip_mm.VocabularyCheckHook')]
