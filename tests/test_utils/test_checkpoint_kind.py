"""What a checkpoint holds, and the command named when it does not fit the config's model (load_model_weights)."""
import copy

import pytest
import torch

from umgclip_mm.apis import init_model
from umgclip_mm.apis.exceptions import CheckpointMismatchError
from umgclip_mm.utils import checkpoint_kind, mismatch_hint, model_kind

TASK_CONFIG = 'configs/quickstart/semseg_synthetic.py'
PRETRAIN_CONFIG = 'configs/quickstart/pretrain_synthetic.py'


@pytest.fixture(scope='module')
def models():
    torch.manual_seed(0)
    task = init_model(TASK_CONFIG, cfg_options={'model.clip.init_cfg': None})
    pretraining = init_model(PRETRAIN_CONFIG)
    return task, pretraining


def test_kinds_from_keys(models, tiny_model_cfg):
    task, pretraining = models
    assert checkpoint_kind(task.state_dict()) == 'task' and model_kind(task) == 'task'
    assert checkpoint_kind(pretraining.state_dict()) == 'pretraining' and model_kind(pretraining) == 'pretraining'
    openai = {'visual.conv1.weight': torch.zeros(1), 'transformer.resblocks.0.attn.in_proj_weight': torch.zeros(1)}
    assert checkpoint_kind(openai) == 'published'
    assert checkpoint_kind({'fc.weight': torch.zeros(1)}) == 'unknown'
    assert model_kind(torch.nn.Linear(1, 1)) == 'other'


def test_each_wrong_checkpoint_is_named_with_its_command(models, tmp_path):
    task, pretraining = models
    towers, trained = tmp_path / 'iter_600.pth', tmp_path / 'iter_1000.pth'
    torch.save(dict(state_dict=pretraining.state_dict()), towers)
    torch.save(dict(state_dict=task.state_dict()), trained)
    cfg = {'model.clip.init_cfg': None}
    with pytest.raises(CheckpointMismatchError) as err:  # pretraining checkpoint -> task config
        init_model(TASK_CONFIG, str(towers), cfg_options=cfg)
    msg = str(err.value)
    assert 'is a UMG-CLIP pretraining checkpoint' in msg and 'holds the towers only' in msg
    assert f'tools/train.py CONFIG --cfg-options model.clip.init_cfg.checkpoint={towers}' in msg
    assert 'clip2umgclip' not in msg
    with pytest.raises(CheckpointMismatchError) as err:  # task checkpoint -> pretraining config
        init_model(PRETRAIN_CONFIG, str(trained))
    msg = str(err.value)
    assert 'is the checkpoint of a trained task model (OVEncoderDecoder (semantic segmentation)' in msg
    assert f'tools/test.py TASK_CONFIG {trained}' in msg and 'clip2umgclip.py' in msg  # to start pretraining anew
    # published CLIP weights, unconverted: the converter command with this file
    hint = mismatch_hint(pretraining, {'visual.conv1.weight': torch.zeros(1)}, 'ViT-B-16.pt')
    assert 'python tools/model_converters/clip2umgclip.py ViT-B-16.pt' in hint
    # a task checkpoint of another task model: its config
    other = copy.copy(task.state_dict())
    other['rpn_head.rpn_conv.weight'] = torch.zeros(1)
    assert 'of OVTwoStageDetector (detection) trained with another config' in mismatch_hint(task, other, 'x.pth')
