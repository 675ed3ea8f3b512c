# Training-free open-vocabulary semantic segmentation (umgclip_mm.ZeroShotSegmentor): the dense embeddings of a
# frozen CLIP against the class text embeddings, nothing trained. Any tower of umgclip_towers.py works (converted
# OpenAI CLIP, EVA02-CLIP, or UMG-CLIP): `model = dict(clip=...)`; the data set config gives `vocab`.
_base_ = ['./umgclip_towers.py', './clip_preprocessors.py']
model = dict(
    type='umgclip_mm.ZeroShotSegmentor',
    clip=_base_.umgclip_vitb16,
    data_preprocessor=_base_.clip_seg_preprocessor,
    # ADE20K-150 by default; configs replace it with their data set's (`dict(_delete_=True, **_base_.vocab)`)
    vocab=dict(class_list='ade20k_150'),
    vocab_encoder=dict(type='umgclip_mm.VocabularyEncoder', cache_dir='default'),  # the machine's shared cache
    test_cfg=dict(mode='whole'))
custom_hooks = [dict(type='umgclip_mm.VocabularyCheckHook')]
