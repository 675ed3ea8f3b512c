"""A checkpoint of the other kind given to tools/train.py (load_from, --resume) or tools/test.py (CHECKPOINT) is
refused with what it is and the command that takes it (umgclip_mm.apis.launch.refuse_unfit_checkpoint), where
mmengine's non-strict load logged the missing keys and ran on random weights (aAcc 2.2 on the toy world)."""
from types import SimpleNamespace

import pytest
import torch
from mmengine.config import Config
from mmengine.runner.checkpoint import load_checkpoint

from umgclip_mm.apis import init_model
from umgclip_mm.apis.exceptions import CheckpointMismatchError
from umgclip_mm.apis.launch import refuse_unfit_checkpoint
from umgclip_mm.datasets.toy_world import generate

from conftest import load_tool

TASK_CONFIG = 'configs/quickstart/semseg_synthetic.py'
PRETRAIN_CONFIG = 'configs/quickstart/pretrain_synthetic.py'
ZEROSHOT_CONFIG = 'configs/quickstart/semseg_zeroshot_synthetic.py'


@pytest.fixture(scope='module')
def toy(tmp_path_factory):
    """The toy task, pretraining and zero-shot models (random), and a pretraining checkpoint (the towers) and a task
    checkpoint (the OVEncoderDecoder) of them."""
    root = tmp_path_factory.mktemp('ckpts')
    torch.manual_seed(0)
    models = dict(task=init_model(TASK_CONFIG, cfg_options={'model.clip.init_cfg': None}),
                  pretraining=init_model(PRETRAIN_CONFIG),
                  zeroshot=init_model(ZEROSHOT_CONFIG, cfg_options={'model.clip.init_cfg': None}))
    towers, trained = str(root / 'iter_600.pth'), str(root / 'iter_1000.pth')
    torch.save(dict(state_dict=models['pretraining'].state_dict()), towers)
    torch.save(dict(state_dict=models['task'].state_dict()), trained)
    return models, towers, trained


def load_into(model, checkpoint):
    """Load ``checkpoint`` into ``model`` as the runner does (mmengine's non-strict load_checkpoint), checked."""
    with refuse_unfit_checkpoint(SimpleNamespace(model=model, cfg=Config(dict(load_from=checkpoint)))):
        load_checkpoint(model, checkpoint, map_location='cpu')


def test_each_direction_is_named_with_its_command(toy):
    models, towers, trained = toy
    with pytest.raises(CheckpointMismatchError) as err:  # pretraining checkpoint -> task config
        load_into(models['task'], towers)
    msg = str(err.value)
    assert 'none of the model\'s weights are in it' in msg and 'is a UMG-CLIP pretraining checkpoint' in msg
    assert f'tools/train.py CONFIG --cfg-options model.clip.init_cfg.checkpoint={towers}' in msg
    with pytest.raises(CheckpointMismatchError) as err:  # task checkpoint -> pretraining config
        load_into(models['pretraining'], trained)
    msg = str(err.value)
    assert 'is the checkpoint of a trained task model (OVEncoderDecoder (semantic segmentation)' in msg
    assert f'tools/test.py TASK_CONFIG {trained}' in msg
    # what fits loads, and the hook is gone afterwards: the towers into pretraining and into a zero-shot model
    with torch.no_grad():
        models['zeroshot'].clip.logit_scale.fill_(0)
    load_into(models['zeroshot'], towers)
    assert torch.equal(models['zeroshot'].clip.logit_scale, torch.load(towers)['state_dict']['logit_scale'])
    load_into(models['pretraining'], towers)
    assert not models['pretraining']._load_state_dict_post_hooks


def test_task_checkpoint_without_the_configs_head(toy, tmp_path):
    """A task checkpoint that fills the towers but not the head (another task model's) is refused too."""
    models, _, trained = toy
    state = torch.load(trained)['state_dict']
    other = str(tmp_path / 'other.pth')
    torch.save(dict(state_dict={k.replace('decode_head.', 'rpn_head.'): v for k, v in state.items()}), other)
    with pytest.raises(CheckpointMismatchError, match=r'(?s)no weights for the model\'s decode_head.*'
                                                      r'of OVTwoStageDetector \(detection\) trained with another'):
        load_into(models['task'], other)
    # on purpose (another task model's towers and all but its head): allow_partial_load=True loads what fits
    models['task'].clip.logit_scale.data.fill_(0)
    runner = SimpleNamespace(model=models['task'], cfg=Config(dict(load_from=other, allow_partial_load=True)))
    with refuse_unfit_checkpoint(runner):
        load_checkpoint(models['task'], other, map_location='cpu')
    assert torch.equal(models['task'].clip.logit_scale, state['clip.logit_scale'])


def test_the_message_names_the_escape_hatch(toy):
    models, towers, _ = toy
    with pytest.raises(CheckpointMismatchError, match=r'on purpose: --cfg-options allow_partial_load=True'):
        load_into(models['task'], towers)


def test_test_py_exits_with_the_message(toy, tmp_path):
    """tools/test.py's runner, on the toy world: the message, not a test of random weights."""
    _, towers, _ = toy
    root = str(tmp_path / 'syn')
    generate(root, num_train=0, num_val=1, size=32)
    with pytest.raises(SystemExit) as err:
        load_tool('tools/test.py').main([TASK_CONFIG, towers, '--work-dir', str(tmp_path / 'w'), '--cfg-options',
                                         f'test_dataloader.dataset.data_root={root}',
                                         'test_dataloader.num_workers=0', 'test_dataloader.persistent_workers=False'])
    assert 'is a UMG-CLIP pretraining checkpoint' in str(err.value.code)
