# Training-free open-vocabulary semantic segmentation at toy scale (ZeroShotSegmentor): the quickstart's pretrained
# UMG-CLIP scores every patch against the class names, nothing trained; mIoU over seen and unseen classes on the
# same held-out scenes as semseg_synthetic.py (every class is unseen to it; the split is kept for comparison).
#   make quickstart
#   python tools/test.py configs/quickstart/semseg_zeroshot_synthetic.py work_dirs/quickstart/iter_600.pth
_base_ = ['../_base_/models/zero_shot_segmentor.py', '../_base_/datasets/synthetic_semseg.py',
          '../_base_/seg_runtime.py']
default_scope = 'mmseg'
env_cfg = dict(dist_cfg=dict(backend='gloo'))

model = dict(
    clip=dict(_delete_=True, **_base_.umgclip_toy),
    vocab=dict(_delete_=True, **_base_.vocab),
    vocab_encoder=dict(templates=['a {}', 'the {}', '{} in the background']))  # the phrasing of the toy captions
train_dataloader = None
train_cfg = None
val_dataloader = None
val_cfg = None
val_evaluator = None
test_cfg = dict(type='TestLoop')
