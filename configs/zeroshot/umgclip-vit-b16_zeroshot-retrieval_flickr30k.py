# umgclip-vit-b16_zeroshot-retrieval_coco.py on Flickr30k 1k test.
#   python tools/test.py configs/zeroshot/umgclip-vit-b16_zeroshot-retrieval_flickr30k.py \
#       checkpoints/umgclip_vit-b16_umg41m.pth
_base_ = ['../_base_/models/umgclip_towers.py', '../_base_/datasets/flickr30k_retrieval_zeroshot.py',
          '../_base_/default_runtime.py']
default_scope = 'mmpretrain'
model = dict(type='umgclip_mm.ZeroShotRetriever', clip=_base_.umgclip_vitb16)
train_dataloader = None
train_cfg = None
val_cfg = None
