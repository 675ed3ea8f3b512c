# mmseg's Mask2Former schedule (mask2former_*_160k_ade20k: mask2former_adamw.py's optimizer, poly decay) for 80,000
# iterations at 16 images (8 GPUs x 2; about 11 epochs of COCO-Stuff-164k), evaluation and checkpoints every 8,000.
_base_ = './mask2former_adamw.py'
max_iters = 80000
interval = 8000
param_scheduler = [dict(type='PolyLR', eta_min=0, power=0.9, begin=0, end=max_iters, by_epoch=False)]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=interval)
