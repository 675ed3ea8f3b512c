import copy

import pytest
import torch

import torch.nn.functional as F

from umgclip_mm.models import UMGCLIPViT
from conftest import TINY_VIT


def build(**kw):
    cfg = copy.deepcopy(TINY_VIT)
    cfg.pop('type')
    cfg.update(kw)
    return UMGCLIPViT(**cfg).eval()


def test_outputs_native_size():
    vit = build()
    out = vit.forward_features(torch.randn(2, 3, 32, 32))
    assert out['global_embeds'].shape == (2, 32)
    assert out['dense_proj'].shape == (2, 32, 4, 4)
    assert [f.shape for f in out['feature_maps']] == [(2, 64, 4, 4)] * 2
    assert out['grid'] == (4, 4)


def test_any_input_size_non_square():
    vit = build()
    out = vit.forward_features(torch.randn(1, 3, 48, 80))
    assert out['dense_proj'].shape == (1, 32, 6, 10)
    assert vit(torch.randn(1, 3, 48, 80))[-1].shape == (1, 64, 6, 10)


def test_dense_projection_matches_global_projection_of_the_same_tokens():
    """dense_proj is the last block's patch tokens through the same norm and projection as the class token."""
    vit = build()
    x = torch.randn(1, 3, 32, 32)
    tokens, grid, _ = vit.embed(x)
    assert grid == (4, 4)
    tokens = vit.transformer(tokens)
    expected = vit.project(tokens[:, 1:]).transpose(1, 2).reshape(1, 32, 4, 4)
    out = vit.forward_features(x)
    torch.testing.assert_close(out['dense_proj'], expected)
    torch.testing.assert_close(out['global_embeds'], vit.project(tokens[:, 0]))


def test_value_dense_mode_differs_and_keeps_shape():
    vit = build()
    x = torch.randn(1, 3, 32, 32)
    plain = vit.forward_features(x)['dense_proj']
    vit.dense_mode = 'value'
    value = vit.forward_features(x)['dense_proj']
    assert value.shape == plain.shape and not torch.allclose(value, plain)
    with pytest.raises(ValueError, match='dense_mode'):
        build(dense_mode='nope')


def test_positional_embedding_resized_bicubically_for_other_grids():
    """At a 2 x 6 grid the tower adds the trained 4 x 4 embedding resized bicubically (class position copied)."""
    vit = build()
    x = torch.randn(1, 3, 16, 48)
    patches = vit.patch_embed(x).flatten(2).transpose(1, 2)
    grid = vit.pos_embed[1:].reshape(1, 4, 4, -1).permute(0, 3, 1, 2)
    grid = F.interpolate(grid, size=(2, 6), mode='bicubic', align_corners=False).flatten(2).transpose(1, 2)[0]
    expected = torch.cat([vit.cls_token[None] + vit.pos_embed[:1], patches[0] + grid])
    tokens, _, _ = vit.embed(x)
    torch.testing.assert_close(tokens[0], vit.pre_norm(expected))


def test_gradient_checkpointing_same_values_and_grads():
    torch.manual_seed(0)
    a = build().train()
    b = build(with_cp=True).train()
    b.load_state_dict(a.state_dict())
    x = torch.randn(2, 3, 32, 32)
    outs = []
    for m in (a, b):
        m.zero_grad()
        y = m.forward_features(x)
        (y['global_embeds'].sum() + y['dense_proj'].square().mean()).backward()
        outs.append((y['global_embeds'].detach(), m.patch_embed.weight.grad.clone()))
    torch.testing.assert_close(outs[0][0], outs[1][0])
    torch.testing.assert_close(outs[0][1], outs[1][1])


def test_frozen_tower_has_no_trainable_params_and_stays_in_eval():
    vit = build(frozen=True)
    vit.train()
    assert not vit.training
    assert not any(p.requires_grad for p in vit.parameters())


def test_pretrained_init_cfg_loads_prefixed_weights(tmp_path):
    src = build()
    ckpt = tmp_path / 'w.pth'
    torch.save({'state_dict': {'backbone.' + k: v for k, v in src.state_dict().items()}}, ckpt)
    dst = build(init_cfg=dict(type='Pretrained', checkpoint=str(ckpt), prefix='backbone.'))
    dst.init_weights()
    for k, v in src.state_dict().items():
        torch.testing.assert_close(dst.state_dict()[k], v)


def test_mmseg_pretrained_argument_becomes_the_backbone_init_cfg(tmp_path):
    """mmseg's segmentors pass ``pretrained=`` to their backbone: a UMGCLIP checkpoint's ``backbone.*`` loads."""
    src = build()
    ckpt = tmp_path / 'umgclip.pth'
    torch.save({'state_dict': {'backbone.' + k: v for k, v in src.state_dict().items()}}, ckpt)
    dst = build(pretrained=str(ckpt))
    assert dst.init_cfg == dict(type='Pretrained', checkpoint=str(ckpt), prefix='backbone.')
    dst.init_weights()
    torch.testing.assert_close(dst.state_dict(), src.state_dict())
    assert build(pretrained=None).init_cfg is None
    with pytest.raises(ValueError, match='both pretrained'):
        build(pretrained=str(ckpt), init_cfg=dict(type='Pretrained', checkpoint=str(ckpt)))
    with pytest.raises(TypeError, match='checkpoint path'):
        build(pretrained=True)
