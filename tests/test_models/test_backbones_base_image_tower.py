"""BaseImageTower: a third tower is embedding + one block + projection; the base gives it everything else."""
import pytest
import torch
import torch.nn as nn

from umgclip_mm.models import BaseImageTower
from umgclip_mm.models.layers import ResidualAttentionBlock


class TinyTower(BaseImageTower):
    """A minimal tower written against the base class, with a per-patch position tensor as rotary towers have."""

    def __init__(self, **kwargs):
        super().__init__(patch_size=8, embed_dims=16, num_layers=3, output_dims=8, **kwargs)
        self.patch_embed = nn.Conv2d(3, 16, 8, 8)
        self.cls_token = nn.Parameter(torch.randn(1, 1, 16))
        self.blocks = nn.ModuleList(ResidualAttentionBlock(16, 2) for _ in range(3))
        self.head = nn.Linear(16, 8)
        self.seen_pos = []
        self._freeze()

    def embed(self, x):
        x = self.patch_embed(x)
        grid = tuple(x.shape[-2:])
        x = x.flatten(2).transpose(1, 2)
        pos = torch.arange(x.shape[1], dtype=x.dtype)[:, None]  # [N, 1]: each patch's index
        return torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], 1), grid, pos

    def run_block(self, index, x, attn_mask=None, pos=None):
        self.seen_pos.append(pos)
        return self.blocks[index](x, attn_mask)

    def project(self, tokens):
        return self.head(tokens)


def test_outputs_and_neck_contract():
    tower = TinyTower(out_indices=(0, -1)).eval()
    assert tower.out_indices == [0, 2]
    out = tower.forward_features(torch.randn(2, 3, 24, 40))
    assert out['grid'] == (3, 5) and out['global_embeds'].shape == (2, 8) and out['valid'] is None
    assert out['dense_tokens'].shape == (2, 16, 3, 5) and out['dense_proj'].shape == (2, 8, 3, 5)
    assert [tuple(f.shape) for f in tower(torch.randn(1, 3, 24, 40))] == [(1, 16, 3, 5)] * 2
    assert 'dense_tokens' not in tower.forward_features(torch.randn(1, 3, 16, 16), with_dense=False)
    for bad in ((0, 3), (-4, ), (1, -2), ()):  # out of range, repeated (-2 is block 1), none: mmseg's neck would
        with pytest.raises(ValueError, match='out_indices'):  # later fail on a bare assert
            TinyTower(out_indices=bad)


def test_token_reduction_gathers_positions_and_restores_the_grid():
    tower = TinyTower(token_reduction=dict(type='random', keep_ratio=0.5)).train()
    out = tower.forward_features(torch.randn(2, 3, 32, 32))  # 16 patches, 8 kept
    pos = tower.seen_pos[-1]
    assert pos.shape == (2, 8, 1)  # the position of each kept patch, per image
    kept = out['valid'].flatten(1).bool()
    for b in range(2):
        assert sorted(pos[b, :, 0].long().tolist()) == kept[b].nonzero()[:, 0].tolist()
    assert out['dense_tokens'].flatten(2)[~kept[:, None].expand(-1, 16, -1)].abs().sum() == 0
    tower.eval()
    tower.forward_features(torch.randn(2, 3, 32, 32))
    assert tower.seen_pos[-1].shape == (16, 1)  # no reduction at test time


def test_checkpointing_frozen_and_dense_mode():
    torch.manual_seed(0)
    a, b = TinyTower().train(), TinyTower(with_cp=True).train()
    b.load_state_dict(a.state_dict())
    x = torch.randn(2, 3, 16, 16)
    grads = []
    for m in (a, b):
        m.forward_features(x)['dense_proj'].square().sum().backward()
        grads.append(m.patch_embed.weight.grad)
    torch.testing.assert_close(grads[0], grads[1])
    frozen = TinyTower(frozen=True)
    frozen.train()
    assert not frozen.training and not any(p.requires_grad for p in frozen.parameters())
    with pytest.raises(ValueError, match="TinyTower: dense_mode must be one of \\('plain',\\)"):
        TinyTower(dense_mode='value')


def test_sides_off_the_patch_grid_are_padded_and_feature_stride_resizes():
    """Sides that are not multiples of the patch size are padded at the bottom/right (timm's EVA02 embedding refused
    them: 'Input height (800) should be divisible by patch size (14)'); feature_stride resizes the input so that a
    grid cell is feature_stride pixels (the 14 px task configs set 16: the heads' strides)."""
    tower = TinyTower().eval()
    x = torch.randn(1, 3, 20, 33)
    out = tower.forward_features(x)
    assert out['grid'] == (3, 5)  # ceil(20 / 8), ceil(33 / 8): every pixel seen
    padded = torch.zeros(1, 3, 24, 40)
    padded[..., :20, :33] = x  # zeros: the mean colour once normalised
    assert torch.equal(tower.forward_features(padded)['dense_tokens'], out['dense_tokens'])

    strided = TinyTower(feature_stride=16).eval()
    strided.load_state_dict(tower.state_dict())
    y = torch.randn(1, 3, 32, 48)
    out = strided.forward_features(y)
    assert out['grid'] == (2, 3) and strided.feature_stride == 16 and tower.feature_stride == 8
    half = torch.nn.functional.interpolate(y, size=(16, 24), mode='bilinear', align_corners=False, antialias=True)
    assert torch.allclose(tower.forward_features(half)['dense_tokens'], out['dense_tokens'], atol=1e-6)
    with pytest.raises(ValueError, match=r'input of 40x48 px; with feature_stride=16 \(patch size 8\) its sides must '
                                         r'be multiples of 16'):
        strided.forward_features(torch.randn(1, 3, 40, 48))
    with pytest.raises(ValueError, match='feature_stride must be a positive integer'):
        TinyTower(feature_stride=0.5)


def test_region_pooling_reads_boxes_at_the_feature_stride(monkeypatch):
    """UMGCLIP.pool hands the region pooler the tower's feature_stride (input pixels per grid cell), not the patch
    size: with feature_stride=16 on a 14 px tower a box at pixel 32 is grid cell 2, where 32 / 14 would miss it."""
    from mmengine.registry import init_default_scope

    from umgclip_mm.registry import MODELS
    init_default_scope('umgclip_mm')
    clip = MODELS.build(dict(
        type='umgclip_mm.UMGCLIP',
        backbone=dict(type='umgclip_mm.UMGCLIPViT', img_size=28, patch_size=14, embed_dims=32, num_layers=1,
                      num_heads=2, output_dims=16, feature_stride=16),
        text_encoder=dict(type='umgclip_mm.UMGCLIPTextEncoder', context_length=8, embed_dims=32,
                          num_layers=1, num_heads=2, output_dims=16)))
    seen = []
    real = clip.region_pooler.forward
    monkeypatch.setattr(clip.region_pooler, 'forward', lambda *a, **k: seen.append(a[2]) or real(*a, **k))
    feats = clip.forward_features(torch.randn(1, 3, 64, 48))
    assert feats['grid'] == (4, 3)
    clip.pool('region', feats, [torch.tensor([[0., 0., 32., 32.]])])
    assert seen == [16]
