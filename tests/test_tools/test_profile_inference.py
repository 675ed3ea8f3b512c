"""tools/analysis/profile_inference.py --split-model / --dtypes on the quickstart's tiny random-weight models: every
part of each task model (tower, neck, pixel decoder or RPN, head, ensemble, post-processing) is timed by hooks from
outside, exclusively, and the hooks are gone afterwards."""
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from umgclip_mm.registry import MODELS

from conftest import load_tool

# the panoptic model's parts are the semantic one's (OVEncoderDecoder: the same pixel decoder and head, timed by the
# same hooks), so two models cover the three families
CONFIGS = dict(panoptic=('configs/quickstart/panoptic_synthetic.py', '--stuff-texts', 'sky'),
               detection=('configs/quickstart/detection_synthetic.py', ))
# bf16 detection on a CPU fails in mmcv's nms (bf16 boxes from the autocast RPN: "expected scalar type Float but
# found BFloat16"), in image_demo.py as well: not the profiler's to fix
DTYPES = dict(panoptic=['fp32', 'bf16'], detection=['fp32'])


@pytest.fixture(scope='module')
def image(tmp_path_factory):
    import mmcv
    path = tmp_path_factory.mktemp('img') / 'scene.png'
    mmcv.imwrite(np.random.default_rng(0).integers(0, 255, (96, 128, 3), dtype=np.uint8), str(path))
    return str(path)


def random_weights(config, path):
    cfg = Config.fromfile(config)
    cfg.model.clip.init_cfg = None
    init_default_scope(cfg.default_scope)
    torch.manual_seed(0)
    torch.save({'state_dict': MODELS.build(cfg.model).state_dict()}, path)
    return str(path)


@pytest.mark.parametrize('task', list(CONFIGS))
def test_every_part_is_timed_by_hooks(task, image, tmp_path, capsys):
    config, *extra = CONFIGS[task]
    profile = load_tool('tools/analysis/profile_inference.py')
    profile.main([image, config, '--weights', random_weights(config, tmp_path / 'w.pth'), '--task', task,
                  '--texts', 'circle,star,square', *extra, '--split-model', '--dtypes', *DTYPES[task]])
    out = capsys.readouterr().out
    for dtype in DTYPES[task]:
        lines = out[out.index(f'--dtype {dtype} on cpu:'):].splitlines()
        assert lines[1].split()[2:] == ['load', 'preproc', 'text', 'tower', 'neck', 'pixdec/rpn', 'msdeform',
                                        'head', 'ensemble', 'post', 'draw', 'total']
        values = dict(zip(lines[1].split()[2:], map(float, lines[2].split()[1:])))
        assert min(values[p] for p in ['tower', 'neck', 'pixdec/rpn', 'head', 'ensemble', 'post']) > 0, values
        assert (values['msdeform'] > 0) == (task != 'detection')  # Mask2Former's pixel decoder; none in F-VLM
        parts = sum(v for k, v in values.items() if k != 'total')
        assert parts == pytest.approx(values['total'], abs=0.5)  # exclusive: the parts add up to the whole
    summary = out[out.index('share of the model'):].splitlines()
    if task != 'detection':
        assert summary[1].split(' | ')[1:] == ['fp32 s', 'bf16 s', 'fp32 share', 'bf16 share', 'bf16/fp32 |']
    share = 1 + len(DTYPES[task])  # the first dtype's share column
    shares = [float(line.split(' | ')[share].strip(' |%')) for line in summary[3:12]]
    assert sum(shares[:-1]) == pytest.approx(100, abs=4) and shares[-1] == 100  # parts, then the model total


def test_hooks_split_tower_from_head_and_go_away():
    """The tower's forward_features is not a module call: its blocks are hooked; the pixel decoder inside the
    panoptic head is its own part; nothing stays hooked."""
    profile = load_tool('tools/analysis/profile_inference.py')
    cfg = Config.fromfile(CONFIGS['panoptic'][0])
    cfg.model.clip.init_cfg = None
    init_default_scope(cfg.default_scope)
    model = MODELS.build(cfg.model)
    parts = {id(m): p for m, p in profile.hooked_modules(model, split=True)}
    assert parts[id(model.clip.backbone)] == 'tower' and all(
        parts[id(block)] == 'tower' for block in model.clip.backbone.modules() if id(block) in parts)
    assert parts[id(model.panoptic_head.pixel_decoder)] == 'decoder'
    deform = [m for m in model.panoptic_head.pixel_decoder.modules() if id(m) in parts and parts[id(m)] == 'msda']
    assert deform and all(type(m).__name__ == 'MultiScaleDeformableAttention' for m in deform)
    assert parts[id(model.panoptic_head.transformer_decoder)] == 'head'
    assert id(model.clip.text_encoder) not in parts
    with profile.hooked(model, lambda: None, split=True):
        assert model.clip.backbone.transformer.layers[0]._forward_pre_hooks
    assert not any(m._forward_pre_hooks or m._forward_hooks for m in model.modules())
