# A test-sized tower pair (random weights, CPU in milliseconds): the quickstart and unit tests build it.
_base_ = './umgclip_vitb16.py'
model = dict(
    backbone=dict(img_size=32, patch_size=8, embed_dims=64, num_layers=2, num_heads=2, output_dims=32,
                  out_indices=(0, 1)),
    text_encoder=dict(context_length=16, embed_dims=64, num_layers=2, num_heads=2, output_dims=32))
