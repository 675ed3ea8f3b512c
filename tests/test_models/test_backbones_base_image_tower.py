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
