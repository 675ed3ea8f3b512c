# umgclip-vit-b16_zeroshot-semseg_ade20k-150.py with EVA02-CLIP-L/14 towers: UMG-CLIP-L/14 or converted EVA02-CLIP-L/14.
#   python tools/test.py configs/zeroshot/umgclip-eva02-l14_zeroshot-semseg_ade20k-150.py \
#       checkpoints/umgclip_eva02-l14_umg41m.pth           (or checkpoints/clip_eva02-l14_merged2b.pth)
_base_ = './umgclip-vit-b16_zeroshot-semseg_ade20k-150.py'
model = dict(clip=dict(_delete_=True, **_base_.umgclip_eva02_l14))
