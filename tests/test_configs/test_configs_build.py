"""Every config under configs/ parses and its model builds at full size (on the meta device: no memory, no time)."""
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from conftest import REPO, run_tool
from umgclip_mm.registry import MODELS

CONFIGS = sorted(p for p in glob.glob(osp.join(REPO, 'configs', '**', '*.py'), recursive=True))


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: osp.relpath(p, REPO))
def test_config_builds(path):
    cfg = Config.fromfile(path)
    if 'model' not in cfg:
        assert '_base_' in path  # dataset / schedule / runtime fragments
        return
    init_default_scope(cfg.get('default_scope', 'umgclip_mm'))
    with torch.device('meta'):
        model = MODELS.build(cfg.model)
    assert sum(p.numel() for p in model.parameters()) > 0


def test_paper_scale_sizes():
    """The presets are the published architectures (parameter counts of OpenAI's CLIP towers)."""
    counts = {}
    for name in ('umgclip_vitb16', 'umgclip_vitl14'):
        cfg = Config.fromfile(osp.join(REPO, 'configs', '_base_', 'models', name + '.py'))
        with torch.device('meta'):
            model = MODELS.build(cfg.model)
        counts[name] = sum(p.numel() for p in model.backbone.parameters()) / 1e6
    assert 85 < counts['umgclip_vitb16'] < 87 and 303 < counts['umgclip_vitl14'] < 305, counts


def test_missing_pretrained_checkpoint_is_a_clear_error(tmp_path):
    proc = None
    with pytest.raises(BaseException) as err:
        proc = run_tool('tools/train.py', 'configs/umgclip/pretrain_umg41m_vitb16.py', '--work-dir',
                        str(tmp_path))
    assert proc is None
    assert 'clip2umgclip.py' in str(err.value) and 'checkpoints/clip_vitb16_openai_umgclip.pth' in str(err.value)


def test_missing_data_is_a_clear_error(tmp_path):
    from umgclip_mm.datasets import UMGDataset
    with pytest.raises(FileNotFoundError, match='make_synthetic.py'):
        UMGDataset('annotations/train-*.jsonl', data_root=str(tmp_path / 'umg41m'))
