"""Token reduction of UMGCLIPViT: training only, dense outputs on the full grid, poolers still work."""
import pytest
import torch

from umgclip_mm.models import UMGCLIPViT


def build(kind):
    return UMGCLIPViT(img_size=32, patch_size=8, embed_dims=32, num_layers=2, num_heads=2, output_dims=16,
                      token_reduction=dict(type=kind, keep_ratio=0.25))


@pytest.mark.parametrize('kind', ['cluster', 'random'])
def test_reduction_only_in_training_and_full_grid_outputs(kind):
    vit = build(kind)
    x = torch.randn(2, 3, 32, 32)
    vit.train()
    out = vit.forward_features(x)
    assert out['dense_tokens'].shape == (2, 32, 4, 4) and out['dense_proj'].shape == (2, 16, 4, 4)
    if kind == 'random':
        assert out['valid'].shape == (2, 1, 4, 4) and out['valid'].sum((1, 2, 3)).tolist() == [4.0, 4.0]
    else:
        assert out['valid'] is None
        # a cluster's output fills all its patches: at most 4 distinct token vectors per image
        flat = out['dense_tokens'][0].flatten(1).t()
        assert len(torch.unique(flat.round(decimals=5), dim=0)) <= 4
    vit.eval()
    full = vit.forward_features(x)
    assert full['valid'] is None and len(torch.unique(full['dense_tokens'][0].flatten(1).t(), dim=0)) == 16


def test_cluster_merging_averages_members():
    vit = build('cluster')
    tokens = torch.randn(1, 17, 32)
    reduced, info = vit.reduce_tokens(tokens)
    assign = info['assign'][0]
    for k in assign.unique():
        torch.testing.assert_close(reduced[0, 1 + k], tokens[0, 1:][assign == k].mean(0))
    torch.testing.assert_close(reduced[0, 0], tokens[0, 0])


def test_bad_reduction_config():
    with pytest.raises(ValueError, match='token_reduction'):
        UMGCLIPViT(token_reduction=dict(type='magic'))
