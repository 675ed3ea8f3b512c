# Zero-shot region and mask recognition on COCO val2017 (the paper's point): a frozen UMG-CLIP ViT-B/16 classifies
# every given box (encode_regions) and every given mask (encode_masks) against COCO's 80 class names; top-1 / top-5
# and mean per-class recall per level, per-class top-1 in the log (all of it returned with per_class=True).
#   python tools/test.py configs/zeroshot/umgclip-vit-b16_zeroshot-region_coco.py checkpoints/umgclip_vit-b16_umg41m.pth
# Two checkpoints on the same regions, side by side:
#   python tools/analysis/compare_region_recognition.py configs/zeroshot/umgclip-vit-b16_zeroshot-region_coco.py \
#       checkpoints/clip_vit-b16_openai.pth checkpoints/umgclip_vit-b16_umg41m.pth --names CLIP UMG-CLIP
_base_ = ['../_base_/models/umgclip_towers.py', '../_base_/datasets/coco_instances_zeroshot.py',
          '../_base_/default_runtime.py']
default_scope = 'mmdet'
coco = dict(dataset='mmdet.CocoDataset')  # the 80 class names, in label order
model = dict(
    type='umgclip_mm.ZeroShotClassifier',
    clip=_base_.umgclip_vitb16,
    vocab=coco,
    levels=('region', 'mask'),
    vocab_encoder=dict(templates='openai_imagenet'))
test_evaluator = dict(type='umgclip_mm.ZeroShotRecognitionMetric', classes=coco, levels=('region', 'mask'))
train_dataloader = None
train_cfg = None
val_cfg = None
test_cfg = dict(type='TestLoop')
