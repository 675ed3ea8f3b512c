# umgclip-vit-b16_zeroshot-retrieval_coco.py with UMG-CLIP-L/14 (EVA02-CLIP-L/14 towers).
#   python tools/test.py configs/zeroshot/umgclip-eva02-l14_zeroshot-retrieval_coco.py \
#       checkpoints/umgclip_eva02-l14_umg41m.pth
_base_ = './umgclip-vit-b16_zeroshot-retrieval_coco.py'
model = dict(clip=dict(_delete_=True, **_base_.umgclip_eva02_l14))
