"""tools/analysis/browse_dataset.py on the tiny toy world, one config per family, and UMGLocalVisualizer on a
hand-made sample: the pictures hold the boxes where the sample has them, in their colours, and a legend with the
captions and tags."""
import importlib.util
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmengine.structures import BaseDataElement, InstanceData

from conftest import REPO, run_tool
from umgclip_mm.datasets.toy_world import generate
from umgclip_mm.visualization import UMGLocalVisualizer
from umgclip_mm.visualization.umg_local_visualizer import PALETTE

TOOL = 'tools/analysis/browse_dataset.py'


@pytest.fixture(scope='module')
def toy(tmp_path_factory):
    root = tmp_path_factory.mktemp('toy')
    generate(str(root), num_train=6, num_val=2, size=64)
    return root


@pytest.fixture(scope='module')
def tool():
    spec = importlib.util.spec_from_file_location('browse_dataset', osp.join(REPO, TOOL))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def read_rgb(path):
    img = cv2.imread(str(path))
    assert img is not None, path
    return img[..., ::-1]


def test_umg_visualizer_draws_boxes_masks_and_legend():
    image = np.full((100, 120, 3), 128, np.uint8)
    masks = np.zeros((1, 100, 120), bool)
    masks[0, 60:90, 10:40] = True
    sample = BaseDataElement(
        caption='a grey picture', tags=['grey'],
        regions=InstanceData(bboxes=torch.tensor([[50., 10., 110., 50.]]), caption=['a red box'], tags=[['box']]),
        masks=InstanceData(masks=torch.from_numpy(masks), caption=['a patch'], tags=[['patch', 'blob']]))
    vis = UMGLocalVisualizer(name='test_umg_vis', panel_width=300)
    lines = [text for text, _ in vis._panel_lines(sample)]
    assert lines[:2] == ['image captions (1):', '- a grey picture'] and 'r0: a red box  [box]' in lines
    assert 'm0: a patch  [patch, blob]' in lines
    drawn = vis.draw_sample(image, sample)
    assert drawn.shape[1] == 120 + 300 and drawn.shape[0] > 100  # the legend's 7 lines are taller than the image
    assert (drawn[100:, :120] == 255).all()  # white under the image
    # the box's right edge in region 0's colour, the mask tinted with mask 0's, outside them the image unchanged
    assert np.abs(drawn[30, 109].astype(int) - PALETTE[0]).max() < 40
    tinted = drawn[85, 15].astype(int)
    assert tinted[0] > tinted[2] + 20  # mask 0 takes the colour after region 0's: PALETTE[1], orange
    assert (drawn[95, 100] == 128).all()
    panel = drawn[:, 120:]
    assert (panel < 100).any() and (panel == 255).mean() > 0.7  # dark text on white


def test_pretraining_samples_through_the_tool(toy, tmp_path):
    """As a user runs it: the quickstart's pretraining config, its 64 px crops enlarged to 448 px."""
    out = tmp_path / 'umg'
    proc = run_tool(TOOL, 'configs/quickstart/pretrain_synthetic.py', '--output-dir', str(out), '--show-number', '2',
                    '--cfg-options', f'train_dataloader.dataset.data_root={toy}')
    assert '2 pictures of train samples (umg)' in proc.stdout
    pictures = sorted(out.glob('*.png'))
    assert [p.name for p in pictures] == ['0000_train_000000.png', '0001_train_000001.png']
    img = read_rgb(pictures[0])
    assert img.shape[1] == 448 + 420 and img.shape[0] >= 448
    legend = img[:, 448:].astype(int)
    assert (legend.max(-1) < 60).sum() > 200  # black text: the image's captions and tags
    assert (np.abs(legend - PALETTE[0]).max(-1) < 30).sum() > 50  # region 0's line, in its colour


@pytest.mark.parametrize('config, phase, family', [
    ('configs/quickstart/detection_synthetic.py', 'val', 'det'),
    ('configs/quickstart/panoptic_synthetic.py', 'val', 'det'),
    ('configs/quickstart/semseg_synthetic.py', 'val', 'seg'),
    ('configs/quickstart/zeroshot_retrieval_synthetic.py', 'test', 'umg'),
])
def test_task_families(tool, toy, tmp_path, capsys, config, phase, family):
    out = tmp_path / 'pics'
    roots = [f'{p}_dataloader.dataset.data_root={toy}/' for p in (phase, )]
    assert tool.main([config, '--output-dir', str(out), '--show-number', '1', '--phase', phase, '--cfg-options',
                      *roots]) == 0
    assert f'1 picture of {phase} samples ({family})' in capsys.readouterr().out
    picture, = out.glob('*.png')
    img = read_rgb(picture)
    plain = cv2.imread(str(toy / 'images' / phase.replace('test', 'val') / (picture.stem[5:] + '.png')))
    assert img.shape[0] >= 400 and img.shape[1] >= 400
    if family != 'umg':  # annotations drawn over the image: colours the toy image does not have
        assert len({tuple(c) for c in img.reshape(-1, 3)}) > len({tuple(c) for c in plain.reshape(-1, 3)})


def test_classification_family(tool, tmp_path, capsys):
    root = tmp_path / 'cls'
    for k, folder in enumerate(('cat', 'dog', 'owl')):
        (root / folder).mkdir(parents=True)
        cv2.imwrite(str(root / folder / '0.png'), np.full((40, 50, 3), 60 * k, np.uint8))
    out = tmp_path / 'pics'
    assert tool.main(['configs/zeroshot/umgclip-vit-b16_zeroshot-cls_custom.py', '--phase', 'test', '--output-dir',
                      str(out), '--show-number', '3', '--cfg-options', f'test_dataloader.dataset.data_root={root}',
                      'test_dataloader.dataset.classes=[cat,dog,owl]']) == 0
    assert '3 pictures of test samples (cls)' in capsys.readouterr().out
    pictures = sorted(out.glob('*.png'))
    assert len(pictures) == 3
    img = read_rgb(pictures[2])  # the owl: a black image with its class name written on it
    assert (img > 200).any() and img.shape[0] >= 400


def test_missing_phase_is_named(tool, capsys):
    assert tool.main(['configs/zeroshot/umgclip-vit-b16_zeroshot-cls_custom.py']) == 2
    assert 'sets no train_dataloader.dataset; it has test (use --phase test)' in capsys.readouterr().err
