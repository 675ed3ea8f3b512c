"""tools/test.py --show, --show-dir and --out (painted and dumped predictions, as mmdet's and mmseg's test tools) on
a tiny toy world with random-weight checkpoints of the panoptic, semantic and detection quickstart configs; and the
void of a panoptic prediction, which must stay unpainted (umgclip_mm.OVDetLocalVisualizer).

The tool runs in this process (``main(argv)``): a subprocess would spend most of its time importing torch."""
import argparse
import glob
import importlib.util
import os.path as osp
import pickle
import sys

import cv2
import mmcv
import numpy as np
import pytest
import torch
from mmengine.config import Config

from conftest import REPO, run_tool
from umgclip_mm.apis import launch

CONFIGS = {name: f'configs/quickstart/{name}_synthetic.py' for name in ('panoptic', 'semseg', 'detection')}


def test_help_lists_the_options():
    out = run_tool('tools/test.py', '--help').stdout
    for option in ('--show ', '--show-dir DIR', '--out FILE|DIR', '--wait-time'):
        assert option in out, option


@pytest.fixture(scope='module')
def toy(tmp_path_factory):
    """The toy world (make_synthetic.py DIR --num-train 8 --num-val 4 --size 64) and a random-weight checkpoint
    of each config (the model as the config builds it, its UMG-CLIP towers left random)."""
    from mmengine.registry import init_default_scope

    from umgclip_mm.datasets.toy_world import generate
    from umgclip_mm.registry import MODELS
    tmp = tmp_path_factory.mktemp('show')
    root = str(tmp / 'syn')
    generate(root, num_train=8, num_val=4, size=64)
    checkpoints = {}
    for name, config in CONFIGS.items():
        cfg = Config.fromfile(osp.join(REPO, config))
        cfg.model.clip.init_cfg = None
        init_default_scope(cfg.default_scope)
        torch.manual_seed(0)
        model = MODELS.build(cfg.model)
        checkpoints[name] = str(tmp / f'{name}.pth')
        torch.save({'state_dict': model.state_dict()}, checkpoints[name])
    return root, checkpoints


@pytest.fixture
def test_tool(monkeypatch):
    """tools/test.py's ``main``, with the display unset (a headless machine)."""
    monkeypatch.delenv('DISPLAY', raising=False)
    monkeypatch.delenv('WAYLAND_DISPLAY', raising=False)
    spec = importlib.util.spec_from_file_location('umgclip_tools_test', osp.join(REPO, 'tools', 'test.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.main


def run_test(main, toy, name, work, *options, cfg_options=()):
    root, checkpoints = toy
    main([osp.join(REPO, CONFIGS[name]), checkpoints[name], '--work-dir', str(work), *options, '--cfg-options',
          f'test_dataloader.dataset.data_root={root}', 'test_dataloader.num_workers=0',
          'test_dataloader.persistent_workers=False', 'model.clip.init_cfg=None', *cfg_options])


def val_images(toy):
    return sorted(glob.glob(osp.join(toy[0], 'images', 'val', '*.png')))


def test_panoptic_show_dir_and_out(toy, test_tool, tmp_path):
    root = toy[0]
    out = str(tmp_path / 'panoptic.pkl')
    run_test(test_tool, toy, 'panoptic', tmp_path / 'work', '--show-dir', 'vis', '--out', out, cfg_options=[
        f'test_evaluator.ann_file={root}/annotations/panoptic_val.json',
        f'test_evaluator.seg_prefix={root}/annotations/panoptic_val/'])
    painted = sorted(glob.glob(str(tmp_path / 'work' / '*' / 'vis' / '*.png')))  # relative: WORK_DIR/<time>/vis
    assert [osp.basename(p) for p in painted] == [osp.basename(p) for p in val_images(toy)]
    results = pickle.load(open(out, 'rb'))
    assert len(results) == 4 and all('pred_panoptic_seg' in r for r in results)
    # void (13, the number of classes; mmdet's own panoptic metric would have rewritten it to 0 in place, which
    # OVCocoPanopticMetric prevents): the prediction panel (right half) must show the image itself there, not class
    # 0 painted over it
    away_total = 0
    for path, result in zip(painted, sorted(results, key=lambda r: r['img_path'])):
        pan = result['pred_panoptic_seg']['sem_seg'].numpy()[0]
        assert not (pan == 0).any()  # the dump holds the model's prediction, void included, untouched
        void = pan % 1000 == 13  # mmdet's INSTANCE_OFFSET is 1000
        image = mmcv.imread(result['img_path'], channel_order='rgb').astype(int)
        drawn = mmcv.imread(path, channel_order='rgb').astype(int)
        assert drawn.shape == (64, 128, 3)  # ground truth | prediction
        segments = cv2.dilate((~void).astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
        away = void & ~segments  # void, off the segments' outlines
        changed = np.abs(drawn[:, 64:] - image).sum(-1) > 30
        assert (changed & away).sum() <= 0.1 * away.sum() + 30, path  # a label box may lie over void
        away_total += away.sum()
    assert away_total > 100  # the random model leaves void to check


def test_semseg_show_dir_and_out(toy, test_tool, tmp_path):
    show, out = str(tmp_path / 'show'), str(tmp_path / 'labels')
    # --show on this headless machine: a warning, and the run goes on
    run_test(test_tool, toy, 'semseg', tmp_path / 'work', '--show', '--show-dir', show, '--out', out)
    names = [osp.basename(p) for p in val_images(toy)]
    painted = sorted(glob.glob(osp.join(show, 'vis_data', 'vis_image', '*.png')))  # mmseg's layout
    assert [osp.basename(p) for p in painted] == [f'test_{n}_0.png' for n in names]
    assert mmcv.imread(painted[0]).shape == (64, 128, 3)
    labels = sorted(glob.glob(osp.join(out, '*.png')))
    assert [osp.basename(p) for p in labels] == names
    label = mmcv.imread(labels[0], flag='unchanged')
    assert label.shape == (64, 64) and label.max() < 13  # class indices of the 13 toy classes


def test_detection_show_dir_and_out(toy, test_tool, tmp_path):
    show, out = str(tmp_path / 'show'), str(tmp_path / 'detection.pkl')
    run_test(test_tool, toy, 'detection', tmp_path / 'work', '--show-dir', show, '--out', out,
             cfg_options=[f'test_evaluator.ann_file={toy[0]}/annotations/instances_val.json'])
    assert sorted(osp.basename(p) for p in glob.glob(osp.join(show, '*.png'))) == [
        osp.basename(p) for p in val_images(toy)]
    results = pickle.load(open(out, 'rb'))
    assert len(results) == 4
    assert {'bboxes', 'scores', 'labels'} <= set(results[0]['pred_instances'])


def test_show_without_display_and_bad_out_are_clear(monkeypatch):
    cfg = Config.fromfile(osp.join(REPO, CONFIGS['detection']))
    monkeypatch.setattr(sys, 'platform', 'linux')
    monkeypatch.delenv('DISPLAY', raising=False)
    monkeypatch.delenv('WAYLAND_DISPLAY', raising=False)
    said = []
    monkeypatch.setattr('mmengine.logging.print_log', lambda msg, **kwargs: said.append(msg))
    args = argparse.Namespace(show=True, show_dir=None, out=None, wait_time=2)
    launch.apply_test_outputs(cfg, args)
    assert not args.show and not cfg.default_hooks.visualization.get('draw')
    assert 'no display' in said[0] and '--show-dir' in said[0]
    with pytest.raises(ValueError, match='.pkl'):
        launch.apply_test_outputs(cfg, argparse.Namespace(show=False, show_dir=None, out='results', wait_time=2))
    semseg = Config.fromfile(osp.join(REPO, CONFIGS['semseg']))
    with pytest.raises(ValueError, match='folder'):
        launch.apply_test_outputs(semseg, argparse.Namespace(show=False, show_dir=None, out='r.pkl', wait_time=2))
    no_hook = Config(dict(default_scope='mmpretrain', default_hooks=dict()))
    with pytest.raises(RuntimeError, match='det_runtime.py'):
        launch.apply_test_outputs(no_hook, argparse.Namespace(show=False, show_dir='vis', out=None, wait_time=2))
