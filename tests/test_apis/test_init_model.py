"""init_model: quiet random initialisation, a checkpoint for another architecture refused with the keys (a typed error
whose message reads as written), and a task model set up for its task."""
import copy
import logging

import pytest
import torch
from mmengine.logging import MMLogger

from umgclip_mm.apis import CheckpointMismatchError, init_model


class Records(logging.Handler):
    """Collects what the current mmengine logger emits."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records = []

    def emit(self, record):
        self.records.append(record)

    def __enter__(self):
        self.logger = MMLogger.get_current_instance()
        self.logger.addHandler(self)
        return self

    def __exit__(self, *exc):
        self.logger.removeHandler(self)


def test_init_without_checkpoint_logs_no_parameter_report(tiny_model_cfg):
    # a current logger at INFO of our own: earlier tests (runners) leave other loggers current, at other levels
    MMLogger.get_instance('test_init_model_quiet', log_level='INFO')
    with Records() as control:  # what mmengine's init_weights logs by itself: one entry per parameter
        init_model(dict(model=tiny_model_cfg), device='cpu').init_weights()
    assert any('backbone.pos_embed' in r.getMessage() for r in control.records)
    level = MMLogger.get_current_instance().level
    with Records() as quiet:
        model = init_model(dict(model=tiny_model_cfg))
    assert not any(logging.INFO <= r.levelno < logging.WARNING for r in quiet.records), quiet.records
    assert MMLogger.get_current_instance().level == level and not model.training


def test_mismatched_checkpoint_lists_each_kind_of_key(tmp_path, tiny_model_cfg):
    state = init_model(dict(model=tiny_model_cfg)).state_dict()
    state.pop('logit_scale')
    state['extra.weight'] = torch.zeros(1)
    wide = copy.deepcopy(tiny_model_cfg)
    wide['backbone'].update(embed_dims=96, num_heads=3)
    state.update((k, v) for k, v in init_model(dict(model=wide)).state_dict().items() if k.startswith('backbone.'))
    torch.save({'state_dict': state}, tmp_path / 'other.pth')
    with pytest.raises(CheckpointMismatchError) as err:
        init_model(dict(model=tiny_model_cfg), str(tmp_path / 'other.pth'))
    msg = str(err.value)  # the message itself, not a quoted repr as a KeyError's
    assert 'unexpected key in source state_dict: extra.weight' in msg
    assert 'missing keys in source state_dict: logit_scale' in msg
    assert 'size mismatch for backbone.pos_embed' in msg and 'more size mismatches' in msg
    assert msg.count('\n') < 14 and 'clip2umgclip.py --save-config' in msg


def test_task_sets_the_model_up_and_refuses_what_cannot_do_it():
    """init_model(task=...): OVMask2Former's output switched to the task, every weight from the checkpoint (no
    init_cfg left), the given config untouched; a model that cannot do the task is a TaskError naming those that
    can."""
    import os.path as osp

    from conftest import REPO
    from mmengine.config import Config

    from umgclip_mm.apis import TaskError
    cfg = Config.fromfile(osp.join(REPO, 'configs/quickstart/panoptic_synthetic.py'))
    cfg.model.clip.init_cfg = None  # random towers (nothing to load)
    model = init_model(cfg, task='detection')
    assert (model.test_cfg.instance_on, model.test_cfg.panoptic_on, model.test_cfg.semantic_on) == (True, False, False)
    assert model.cfg.model.test_cfg.instance_on and not cfg.model.test_cfg.instance_on  # a copy was set up
    assert not model.training
    with pytest.raises(TaskError, match=r'\(OVMask2Former\) does not do|is not an open-vocabulary') as err:
        init_model(osp.join(REPO, 'configs/quickstart/pretrain_synthetic.py'), task='semseg')
    assert 'UMGCLIP' in str(err.value) and 'OVEncoderDecoder' in str(err.value)
    with pytest.raises(TaskError, match="task 'captioning'"):
        init_model(cfg, task='captioning')
