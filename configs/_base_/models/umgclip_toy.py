# The toy-world tower pair the quickstarts pretrain (configs/quickstart/pretrain_synthetic.py) and then freeze
# (configs/quickstart/panoptic_synthetic.py): 64 px, 8 px patches, 3 layers of width 96, a 64-d joint space.
_base_ = './umgclip_tiny.py'
model = dict(
    backbone=dict(img_size=64, patch_size=8, embed_dims=96, num_layers=3, num_heads=3, output_dims=64,
                  out_indices=(2, ), token_reduction=dict(type='cluster', keep_ratio=0.25, iters=3)),
    text_encoder=dict(context_length=16, embed_dims=96, num_layers=2, num_heads=3, output_dims=64))
