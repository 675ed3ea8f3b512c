# umgclip-vit-b16_zeroshot-region_coco.py with UMG-CLIP-L/14 (EVA02-CLIP-L/14 towers): the paper's comparison,
#   python tools/analysis/compare_region_recognition.py configs/zeroshot/umgclip-eva02-l14_zeroshot-region_coco.py \
#       checkpoints/clip_eva02-l14_merged2b.pth checkpoints/umgclip_eva02-l14_umg41m.pth --names EVA02-CLIP UMG-CLIP
_base_ = './umgclip-vit-b16_zeroshot-region_coco.py'
model = dict(clip=dict(_delete_=True, **_base_.umgclip_eva02_l14))
