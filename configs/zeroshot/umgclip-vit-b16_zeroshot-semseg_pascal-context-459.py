# Training-free zero-shot semantic segmentation on PASCAL Context-459 (PC-459) (ZeroShotSegmentor): every patch
# embedding of a frozen CLIP ViT-B/16 scored against the class names, nothing trained. The config serves any
# checkpoint of these towers, so towers are compared on dense (per-pixel) prediction with one command each:
#   python tools/test.py configs/zeroshot/umgclip-vit-b16_zeroshot-semseg_pascal-context-459.py checkpoints/umgclip_vit-b16_umg41m.pth
#   python tools/test.py configs/zeroshot/umgclip-vit-b16_zeroshot-semseg_pascal-context-459.py checkpoints/clip_vit-b16_openai.pth
_base_ = ['../_base_/models/zero_shot_segmentor.py', '../_base_/datasets/ov_semseg_pascal-context-459.py',
          '../_base_/seg_runtime.py']
default_scope = 'mmseg'
model = dict(vocab=dict(_delete_=True, **_base_.vocab))
train_cfg = None
val_cfg = None
val_dataloader = None
val_evaluator = None
test_cfg = dict(type='TestLoop')
