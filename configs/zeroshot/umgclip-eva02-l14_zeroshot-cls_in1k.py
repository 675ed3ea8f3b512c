# umgclip-vit-b16_zeroshot-cls_in1k.py with UMG-CLIP-L/14 (EVA02-CLIP-L/14 towers), the paper's model.
#   python tools/test.py configs/zeroshot/umgclip-eva02-l14_zeroshot-cls_in1k.py \
#       checkpoints/umgclip_eva02-l14_umg41m.pth
# The same config evaluates converted EVA02-CLIP-L/14 weights (checkpoints/clip_eva02-l14_merged2b.pth).
_base_ = './umgclip-vit-b16_zeroshot-cls_in1k.py'
model = dict(clip=dict(_delete_=True, **_base_.umgclip_eva02_l14))
