# Mask2Former's COCO panoptic schedule: AdamW 1e-4 (mask2former_adamw.py), 368,750 iterations at 16 images
# (50 epochs), steps at 0.89 and 0.96, evaluation (and checkpoints, set beside the runtime's hooks) every 5,000
# iterations.
_base_ = './mask2former_adamw.py'
max_iters = 368750
interval = 5000
param_scheduler = dict(type='MultiStepLR', begin=0, end=max_iters, by_epoch=False, milestones=[327778, 355092],
                       gamma=0.1)
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=interval,
                 dynamic_intervals=[(max_iters // interval * interval + 1, max_iters)])
