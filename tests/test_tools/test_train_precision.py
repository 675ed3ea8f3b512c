"""tools/train.py --amp / --fp32 (umgclip_mm.apis.launch.set_precision): the *-amp-* pretraining presets train on a
CPU in float32 (mmengine's AmpOptimWrapper refuses a machine without a GPU), and the FSDP preset keeps its FSDP
wrapper either way (a plain AmpOptimWrapper in its place would clip each rank's shard by its own norm)."""
import pytest
import torch.nn as nn
from mmengine.optim import OptimWrapper, build_optim_wrapper

import umgclip_mm  # noqa: F401  (registers umgclip_mm.FSDP*OptimWrapper)
from umgclip_mm.apis.launch import build_config, set_precision

from conftest import load_tool

B16 = 'configs/umgclip/umgclip_vit-b16_8xb256-amp-20k_umg41m.py'
FSDP = 'configs/umgclip/umgclip_eva02-e14_16xb128-fsdp-amp-20k_umg41m.py'
QUICKSTART = 'configs/quickstart/pretrain_synthetic.py'


@pytest.fixture(scope='module')
def train():
    return load_tool('tools/train.py')


def test_fp32_turns_the_amp_presets_into_their_float32_wrappers(train):
    cfg = build_config(train.parse_args([B16, '--fp32']))
    assert cfg.optim_wrapper.type == 'OptimWrapper'
    assert 'dtype' not in cfg.optim_wrapper and 'loss_scale' not in cfg.optim_wrapper
    assert cfg.optim_wrapper.clip_grad == dict(max_norm=1.0)  # the rest of the recipe is kept
    assert cfg.optim_wrapper.paramwise_cfg.custom_keys['logit_scale'] == dict(decay_mult=0.0)
    wrapper = build_optim_wrapper(nn.Linear(2, 2), cfg.optim_wrapper)  # builds, and runs, on this CPU
    assert type(wrapper) is OptimWrapper and wrapper.optimizer.defaults['lr'] == 5e-5

    fsdp = build_config(train.parse_args([FSDP, '--fp32'])).optim_wrapper
    assert fsdp.type == 'umgclip_mm.FSDPOptimWrapper' and 'dtype' not in fsdp


def test_amp_keeps_the_fsdp_wrapper_and_switches_plain_ones(train):
    assert build_config(train.parse_args([FSDP, '--amp'])).optim_wrapper.type == 'umgclip_mm.FSDPAmpOptimWrapper'
    amp = build_config(train.parse_args([QUICKSTART, '--amp'])).optim_wrapper
    assert amp.type == 'AmpOptimWrapper' and amp.loss_scale == 'dynamic'
    assert set_precision(dict(type='FSDPOptimWrapper'), amp=True)['type'] == 'umgclip_mm.FSDPAmpOptimWrapper'
    # already in the precision asked: unchanged (dtype kept)
    same = dict(type='AmpOptimWrapper', dtype='bfloat16', optimizer=dict(type='SGD', lr=0.1))
    assert set_precision(same, amp=True) == same


def test_unknown_wrappers_are_refused_by_name_and_the_flags_exclude_each_other(train, capsys):
    with pytest.raises(ValueError, match=r"optim_wrapper.type='MyWrapper': --fp32 switches only"):
        set_precision(dict(type='MyWrapper'), amp=False)
    with pytest.raises(SystemExit):
        train.parse_args([B16, '--amp', '--fp32'])
    assert 'not allowed with argument' in capsys.readouterr().err
