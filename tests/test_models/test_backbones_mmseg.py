"""UMGCLIPViT inside an mmseg segmentor built from mmseg's own config (default scope mmseg)."""
import copy

import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from umgclip_mm.models import UMGCLIPViT
from conftest import TINY_VIT


def test_upernet_vit_config_with_our_tower(tmp_path):
    """``mmseg::_base_/models/upernet_vit-b16_ln_mln.py`` passes ``pretrained=`` to its backbone: our tower takes
    it as mmseg's backbones do, loads the image tower of a UMGCLIP checkpoint from it, and the segmentor runs."""
    tower = dict(copy.deepcopy(TINY_VIT), num_layers=4, out_indices=(0, 1, 2, 3))
    src = UMGCLIPViT(**{k: v for k, v in tower.items() if k != 'type'})
    ckpt = tmp_path / 'umgclip.pth'  # a UMGCLIP checkpoint: the image tower under backbone.*
    torch.save({'state_dict': {f'backbone.{k}': v for k, v in src.state_dict().items()}}, ckpt)

    cfg_file = tmp_path / 'upernet_umgclip.py'
    cfg_file.write_text(f"""
_base_ = 'mmseg::_base_/models/upernet_vit-b16_ln_mln.py'
norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    pretrained={str(ckpt)!r},
    backbone=dict(_delete_=True, **{tower!r}),
    neck=dict(in_channels=[64, 64, 64, 64], out_channels=16),
    decode_head=dict(in_channels=[16, 16, 16, 16], channels=16, norm_cfg=norm_cfg),
    auxiliary_head=dict(in_channels=16, channels=8, norm_cfg=norm_cfg))
""")
    cfg = Config.fromfile(str(cfg_file))
    assert cfg.model.type == 'EncoderDecoder' and cfg.model.decode_head.type == 'UPerHead'
    init_default_scope('mmseg')
    from mmseg.registry import MODELS
    model = MODELS.build(cfg.model)
    assert type(model.backbone).__name__ == 'UMGCLIPViT'
    assert model.backbone.init_cfg == dict(type='Pretrained', checkpoint=str(ckpt), prefix='backbone.')
    model.init_weights()
    torch.testing.assert_close(model.backbone.state_dict(), src.state_dict())
    model.eval()
    with torch.no_grad():
        logits = model(torch.randn(2, 3, 32, 32), mode='tensor')
    assert logits.shape == (2, 19, 16, 16)  # UPerHead predicts at the neck's finest level (stride 2 here)
