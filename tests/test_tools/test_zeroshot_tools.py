"""tools/analysis/benchmark_class_embeds.py and tools/analysis/compare_region_recognition.py run and print their
figures."""
import json
import re

import torch
from mmengine.config import Config

from conftest import run_tool
from umgclip_mm.datasets.toy_world import generate
from umgclip_mm.registry import MODELS

QUICKSTART = 'configs/quickstart/zeroshot_synthetic.py'


def test_benchmark_class_embeds_prints_encode_and_cache_times(tmp_path):
    assert run_tool('tools/analysis/benchmark_class_embeds.py', '--help').stdout.startswith('usage:')
    out = run_tool('tools/analysis/benchmark_class_embeds.py', '--classes', '12', '--templates', '3', '--rounds', '1',
                   '--cache-dir', str(tmp_path)).stdout
    assert '12 classes x 3 templates = 36 prompts' in out, out
    encode = float(re.search(r'encoded \(text tower\)\s+([\d.]+)', out).group(1))
    assert re.search(r'loaded from the disk cache\s+([\d.]+)', out), out
    assert encode > 0 and re.search(r'from the memory cache\s+[\d.]+\s+\d+x', out), out
    assert len(list(tmp_path.glob('*.pt'))) == 1


def test_compare_region_recognition_puts_two_checkpoints_side_by_side(tmp_path):
    assert run_tool('tools/analysis/compare_region_recognition.py', '--help').stdout.startswith('usage:')
    generate(str(tmp_path / 'toy'), num_train=1, num_val=4, size=64)
    clip_cfg = Config.fromfile(QUICKSTART).model.clip
    ckpts = []
    for seed in (0, 1):
        torch.manual_seed(seed)
        ckpts.append(str(tmp_path / f'seed{seed}.pth'))
        torch.save(dict(state_dict=MODELS.build(clip_cfg).state_dict()), ckpts[-1])
    out = run_tool('tools/analysis/compare_region_recognition.py', QUICKSTART, *ckpts, '--names', 'A', 'B',
                   '--work-dir', str(tmp_path / 'work'), '--out', str(tmp_path / 'cmp.json'), '--cfg-options',
                   f'test_dataloader.dataset.data_root={tmp_path / "toy"}').stdout
    assert re.search(r'metric\s+A\s+B\s+B - A', out), out
    row = re.search(r'zeroshot/region_top1\s+([\d.]+)\s+([\d.]+)\s+([+-][\d.]+)', out)
    assert row and abs(float(row.group(2)) - float(row.group(1)) - float(row.group(3))) < 0.011, out
    assert re.search(r'zeroshot/mask_top1_sky\s', out), out  # per class
    saved = json.loads((tmp_path / 'cmp.json').read_text())
    assert set(saved) == {'A', 'B'} and saved['A']['zeroshot/region_count'] == saved['B']['zeroshot/region_count']
    assert saved['A'] != saved['B']  # two different random towers were loaded, not one twice (or none)
