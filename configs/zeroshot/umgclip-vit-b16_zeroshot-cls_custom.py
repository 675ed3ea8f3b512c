# Zero-shot classification of any folder-per-class set (mmpretrain's CustomDataset) with a frozen UMG-CLIP
# ViT-B/16: data/my_dataset/<class>/<image>; set `classes` (names of the folders in their sorted order) and
# `data_root` in a copy of this config, or on the command line (a file path works for classes too):
#   python tools/test.py configs/zeroshot/umgclip-vit-b16_zeroshot-cls_custom.py CHECKPOINT --cfg-options \
#       test_dataloader.dataset.data_root=data/flowers test_dataloader.dataset.classes=data/flowers/classes.txt \
#       model.vocab=data/flowers/classes.txt
# VocabularyCheckHook checks that the data set's classes are the model's, in order, before anything runs.
_base_ = ['../_base_/models/umgclip_towers.py', '../_base_/datasets/custom_zeroshot.py',
          '../_base_/default_runtime.py']
default_scope = 'mmpretrain'
model = dict(
    type='umgclip_mm.ZeroShotClassifier',
    clip=_base_.umgclip_vitb16,
    vocab=_base_.classes,
    vocab_encoder=dict(templates='openai_imagenet'))
custom_hooks = [dict(type='umgclip_mm.VocabularyCheckHook')]
train_dataloader = None
train_cfg = None
val_cfg = None
test_cfg = dict(type='TestLoop')
