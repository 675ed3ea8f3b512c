# The toy panoptic model's semantic output (FC-CLIP's protocol on semantic benchmarks), test only: the checkpoint of
# panoptic_synthetic.py scored with mIoU over seen and unseen classes on the held-out scenes of semseg_synthetic.py,
# beside the semantic models trained (semseg_synthetic.py) and not trained (semseg_zeroshot_synthetic.py) for it.
#   make quickstart
#   python tools/test.py configs/quickstart/panoptic_semantic_synthetic.py work_dirs/quickstart_panoptic/iter_1000.pth
_base_ = ['../_base_/models/ov_mask2former_semantic.py', '../_base_/models/ov_mask2former_toy.py',
          '../_base_/datasets/synthetic_semseg.py', '../_base_/det_runtime.py']
default_scope = 'mmdet'
env_cfg = dict(dist_cfg=dict(backend='gloo'))

model = dict(  # panoptic_synthetic.py's model; its train vocabulary gives the seen classes of the ensemble
    clip=dict(_delete_=True, **_base_.umgclip_toy),
    train_vocab=dict(_delete_=True, **_base_.train_vocab),
    test_vocab=_base_.vocab,
    **_base_.toy_panoptic_parts)
train_dataloader = None
train_cfg = None
