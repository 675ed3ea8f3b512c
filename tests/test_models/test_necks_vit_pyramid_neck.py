"""ViTPyramidNeck: ViTDet's simple feature pyramid from one ViT map, built by name from mmdet's and mmseg's scope."""
import pytest
import torch
from mmengine.registry import MODELS, init_default_scope

from umgclip_mm.models.necks import ViTPyramidNeck


def test_builds_by_name_from_mmdet_and_mmseg():
    for scope in ('mmdet', 'mmseg'):
        init_default_scope(scope)
        neck = MODELS.build(dict(type='umgclip_mm.ViTPyramidNeck', in_channels=64, out_channels=16))
        assert isinstance(neck, ViTPyramidNeck)


def test_strides_4_to_32_from_a_16px_tower_and_an_extra_level(tiny_vit_cfg):
    """From a patch-16 tower on a non-square 64x96 input: strides 4, 8, 16, 32 (and 64 with num_outs=5)."""
    from umgclip_mm.registry import MODELS as OURS
    tower = OURS.build(dict(tiny_vit_cfg, patch_size=16))
    neck = ViTPyramidNeck(in_channels=64, out_channels=16, num_outs=5)
    outs = neck(tower(torch.randn(2, 3, 64, 96)))
    assert [tuple(o.shape) for o in outs] == [(2, 16, 16, 24), (2, 16, 8, 12), (2, 16, 4, 6), (2, 16, 2, 3),
                                              (2, 16, 1, 2)]
    assert torch.equal(outs[4], outs[3][..., ::2, ::2])  # the extra level subsamples the last one


def test_layers_are_vitdet_simple_fpn():
    """x4: deconv, norm, activation, deconv (channels halved twice); x2: one deconv; x1: nothing; x0.5: max pool;
    then a 1x1 and a 3x3 convolution with norm and no activation."""
    neck = ViTPyramidNeck(in_channels=64, out_channels=16)
    up4, up2, same, down2 = (stage[0] for stage in neck.stages)
    assert [type(m).__name__ for m in up4] == ['ConvTranspose2d', 'LayerNorm2d', 'GELU', 'ConvTranspose2d']
    assert (up4[0].out_channels, up4[3].out_channels) == (32, 16) and up4[0].stride == (2, 2)
    assert [type(m).__name__ for m in up2] == ['ConvTranspose2d'] and up2[0].out_channels == 32
    assert len(same) == 0 and [type(m).__name__ for m in down2] == ['MaxPool2d']
    for stage in neck.stages:
        lateral, out = stage[1], stage[2]
        assert lateral.conv.kernel_size == (1, 1) and out.conv.kernel_size == (3, 3)
        assert lateral.with_norm and out.with_norm and not lateral.with_activation and not out.with_activation


def test_each_level_is_aligned_with_the_input():
    """A change in one input cell (i, j) changes the stride-4 level only around rows/columns 4i..4i+3 (the deconvs
    place it, the 3x3 convolution widens it by one), and every level's gradient reaches every parameter."""
    neck = ViTPyramidNeck(in_channels=8, out_channels=8).eval()  # LN over channels: local, as the rest
    x = torch.randn(1, 8, 6, 6)
    y = x.clone()
    y[..., 2, 3] += 1.0
    diff = (neck([y])[0] - neck([x])[0]).abs().sum(1)[0] > 0
    rows, cols = diff.nonzero().unbind(1)
    assert (rows.min(), rows.max(), cols.min(), cols.max()) == (7, 12, 11, 16)
    neck.train()
    sum(o.sum() for o in neck([x.requires_grad_()])).backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in neck.parameters())


def test_in_index_and_other_factors():
    neck = ViTPyramidNeck(in_channels=8, out_channels=4, scale_factors=(8.0, 1.0, 0.25), in_index=0,
                          norm_cfg=dict(type='BN'))
    outs = neck([torch.randn(2, 8, 4, 4), torch.randn(2, 16, 4, 4)])
    assert [o.shape[-1] for o in outs] == [32, 4, 1]
    assert neck.stages[0][0][-1].out_channels == 1  # 8 -> 4 -> 2 -> 1 channels over three deconvs
    # in_channels per backbone map (how the open-vocabulary models fill it in) is read at in_index
    neck = ViTPyramidNeck(in_channels=[16, 8], out_channels=4, in_index=-1, norm_cfg=dict(type='BN'))
    assert neck.in_channels == 8
    assert neck([torch.randn(2, 16, 4, 4), torch.randn(2, 8, 4, 4)])[0].shape == (2, 4, 16, 16)


@pytest.mark.parametrize('kwargs, message', [
    (dict(scale_factors=(3.0, 1.0)), 'not a power of 2'),
    (dict(scale_factors=(2.0, 0.0)), 'not a power of 2'),
    (dict(num_outs=3), 'num_outs=3 is below the 4 scale_factors'),
])
def test_bad_arguments_name_the_fix(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ViTPyramidNeck(in_channels=8, **kwargs)


def test_wrong_channels_name_the_fix():
    neck = ViTPyramidNeck(in_channels=768)
    with pytest.raises(ValueError, match="has 64 channels, in_channels is 768; set in_channels to the tower's"):
        neck([torch.randn(1, 64, 4, 4)])
