"""umgclip_mm.FSDPStrategy's choices that need no process group: the checkpoint layouts it accepts, and a resume
from a checkpoint of another world size refused (or, when allowed, warned about) with what to do."""
import os

import pytest

from umgclip_mm.registry import STRATEGIES


def test_state_dict_cfg_full_sharded_and_local_refused():
    assert STRATEGIES.build(dict(type='umgclip_mm.FSDPStrategy', state_dict_cfg='sharded')).sharded_checkpoints
    assert not STRATEGIES.build(dict(type='umgclip_mm.FSDPStrategy')).sharded_checkpoints  # 'full'
    with pytest.raises(ValueError, match="state_dict_cfg='local' is not supported; use 'full'.*or 'sharded'"):
        STRATEGIES.build(dict(type='umgclip_mm.FSDPStrategy', state_dict_cfg='local'))


def test_resume_at_another_world_size_is_refused_unless_allowed(monkeypatch):
    strategy = STRATEGIES.build(dict(type='umgclip_mm.FSDPStrategy'))  # this process: world size 1
    strategy.check_world_size(dict(meta=dict(world_size=1)), 'iter_3')
    strategy.check_world_size(dict(meta=dict()), 'iter_3')  # older checkpoints do not say: taken as they are
    with pytest.raises(RuntimeError, match=r'iter_3 was saved by 2 processes and this run has 1.*Resume with 2 '
                       r'processes, or pass --cfg-options strategy.allow_world_size_change=True'):
        strategy.check_world_size(dict(meta=dict(world_size=2)), 'iter_3')
    allowed = STRATEGIES.build(dict(type='umgclip_mm.FSDPStrategy', allow_world_size_change=True))
    warned = []
    monkeypatch.setattr(allowed.logger, 'warning', warned.append)
    allowed.check_world_size(dict(meta=dict(world_size=2)), 'iter_3')
    assert len(warned) == 1 and warned[0].startswith('iter_3 was saved by 2 processes') \
        and 'Going on (strategy.allow_world_size_change=True)' in warned[0]


def test_without_a_launch_it_starts_a_group_of_one_and_wraps():
    """tools/train.py on the FSDP preset without a launcher: the strategy starts a process group of one (torch
    stopped with "Default process group has not been initialized" before) and wraps the model in FSDP."""
    import torch
    import torch.distributed as dist
    from torch.distributed.fsdp import FullyShardedDataParallel as FSDP
    assert not dist.is_initialized()
    strategy = STRATEGIES.build(dict(type='umgclip_mm.FSDPStrategy'))
    try:
        wrapped = strategy._wrap_model(torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.Linear(4, 2)))
        assert dist.is_initialized() and dist.get_world_size() == 1
        assert isinstance(wrapped, FSDP)
        assert wrapped(torch.ones(3, 4)).shape == (3, 2)
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()
        for var in ('LOCAL_RANK', 'RANK', 'WORLD_SIZE'):
            os.environ.pop(var, None)
