"""Our components build by registry name from every toolbox's scope (docs/architecture.md, Registries and scope)."""
import subprocess
import sys

import pytest
import torch
from mmengine.registry import DefaultScope

from conftest import TINY_VIT


@pytest.mark.parametrize('toolbox', ['mmdet', 'mmseg', 'mmpretrain'])
def test_build_backbone_from_toolbox_scope(toolbox):
    registry = __import__(f'{toolbox}.registry', fromlist=['MODELS']).MODELS
    with DefaultScope.overwrite_default_scope(toolbox):
        vit = registry.build(dict(TINY_VIT))
        # and a toolbox part from the same scope still resolves, unprefixed
        assert vit.__class__.__name__ == 'UMGCLIPViT'
    feats = vit(torch.randn(1, 3, 32, 32))
    assert [tuple(f.shape) for f in feats] == [(1, 64, 4, 4), (1, 64, 4, 4)]


def test_toolbox_part_from_our_scope():
    from umgclip_mm.registry import MODELS
    with DefaultScope.overwrite_default_scope('umgclip_mm'):
        neck = MODELS.build(dict(type='mmdet.ChannelMapper', in_channels=[8], out_channels=4, kernel_size=1))
    assert neck.__class__.__module__.startswith('mmdet.')


def test_scope_prefix_alone_imports_the_package():
    """A fresh process that never imports umgclip_mm builds our model by name from an mmdet-scoped registry."""
    code = ("import sys; from mmengine.registry import DefaultScope; from mmdet.registry import MODELS;\n"
            "assert 'umgclip_mm' not in sys.modules\n"
            "with DefaultScope.overwrite_default_scope('mmdet'):\n"
            "    m = MODELS.build(dict(type='umgclip_mm.UMGCLIPTextEncoder', context_length=8, embed_dims=32,"
            " num_layers=1, num_heads=1, output_dims=16))\n"
            "print(type(m).__name__)")
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == 'UMGCLIPTextEncoder'


def test_registries_are_children_of_mmengine():
    import mmengine.registry as root
    import umgclip_mm.registry as ours
    for name in ('MODELS', 'DATASETS', 'TRANSFORMS', 'METRICS', 'TASK_UTILS', 'HOOKS'):
        reg = getattr(ours, name)
        assert reg.scope == 'umgclip_mm'
        assert reg.parent is getattr(root, name)


@pytest.mark.parametrize('toolbox', ['mmdet', 'mmseg', 'mmpretrain'])
def test_shared_open_vocabulary_parts_build_by_name(toolbox):
    """Every task family reaches the same vocabulary encoder, ensemble and check hook by name."""
    module = __import__(f'{toolbox}.registry', fromlist=['MODELS', 'HOOKS'])
    with DefaultScope.overwrite_default_scope(toolbox):
        encoder = module.MODELS.build(dict(type='umgclip_mm.VocabularyEncoder', templates=['a {}']))
        ensemble = module.MODELS.build(dict(type='umgclip_mm.OOVEnsemble', alpha=0.5))
        hook = module.HOOKS.build(dict(type='umgclip_mm.VocabularyCheckHook'))
    assert encoder.templates == ('a {}', ) and type(ensemble).__name__ == 'OOVEnsemble' and ensemble.alpha == 0.5
    assert type(hook).__name__ == 'VocabularyCheckHook'
