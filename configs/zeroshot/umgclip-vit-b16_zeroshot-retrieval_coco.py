# Zero-shot image <-> text retrieval on COCO Karpathy 5k test with a frozen UMG-CLIP ViT-B/16, under mmpretrain's
# RetrievalTestLoop and RetrievalRecall (i2t / t2i recall@1/5/10).
#   python tools/test.py configs/zeroshot/umgclip-vit-b16_zeroshot-retrieval_coco.py \
#       checkpoints/umgclip_vit-b16_umg41m.pth
_base_ = ['../_base_/models/umgclip_towers.py', '../_base_/datasets/coco_retrieval_zeroshot.py',
          '../_base_/default_runtime.py']
default_scope = 'mmpretrain'
model = dict(type='umgclip_mm.ZeroShotRetriever', clip=_base_.umgclip_vitb16)
train_dataloader = None
train_cfg = None
val_cfg = None
