# Zero-shot ImageNet-1k classification with a frozen UMG-CLIP ViT-B/16 under mmpretrain's runner: class embeddings
# are the normalised mean over CLIP's 80 ImageNet templates of its curated class names, encoded once per weights
# and then read from the disk cache (model.vocab_encoder.cache_dir).
#   python tools/test.py configs/zeroshot/umgclip-vit-b16_zeroshot-cls_in1k.py checkpoints/umgclip_vit-b16_umg41m.pth
# Any UMG-CLIP checkpoint of the same towers loads (converted OpenAI / open_clip / Hugging Face weights too:
# checkpoints/clip_vit-b16_openai.pth).
_base_ = ['../_base_/models/umgclip_towers.py', '../_base_/datasets/imagenet_zeroshot.py',
          '../_base_/default_runtime.py']
default_scope = 'mmpretrain'
model = dict(
    type='umgclip_mm.ZeroShotClassifier',
    clip=_base_.umgclip_vitb16,
    vocab='openai_imagenet',
    vocab_encoder=dict(templates='openai_imagenet'))
train_dataloader = None
train_cfg = None
val_cfg = None
test_cfg = dict(type='TestLoop')
