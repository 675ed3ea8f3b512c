# Open-vocabulary semantic segmentation with mmseg's runner: the open-vocabulary Mask2Former head (OVEncoderDecoder)
# on a frozen UMG-CLIP ViT-B/16, trained on COCO-Stuff-164k's 171 classes (8 GPUs x 2 crops of 512x512, 80k
# iterations), validated on COCO-Stuff; the coco-stuff2* configs evaluate the checkpoint zero-shot on the five
# benchmarks. Commands: README.md beside this file.
_base_ = ['../_base_/models/ov_encoder_decoder.py', '../_base_/datasets/ov_semseg_coco-stuff-171.py',
          '../_base_/schedules/semseg_80k.py', '../_base_/seg_runtime.py']
default_scope = 'mmseg'

pretrained = 'checkpoints/umgclip_vit-b16_umg41m.pth'  # UMG-CLIP pretrained weights (configs/umgclip)
model = dict(
    clip=dict(init_cfg=dict(type='Pretrained', checkpoint=pretrained)),
    train_vocab=_base_.train_vocab,
    test_vocab=_base_.vocab)
train_dataloader = dict(batch_size=2, num_workers=2)
default_hooks = dict(checkpoint=dict(save_last=True, interval=_base_.interval))
