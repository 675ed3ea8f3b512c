"""The open-vocabulary panoptic path through the tools: train (tools/train.py), evaluate with PQ over seen and
unseen classes (tools/test.py), segment an image with a free vocabulary (tools/demo/ov_panoptic.py, the alias of
tools/demo/image_demo.py --task panoptic)."""
import glob
import json
import os.path as osp

import pytest
from conftest import run_tool

CFG = 'configs/quickstart/panoptic_synthetic.py'


def data_options(root, pretrained=None):
    ann = f'{root}/annotations/panoptic_val.json'
    seg = f'{root}/annotations/panoptic_val/'
    return ['--cfg-options', f'train_dataloader.dataset.data_root={root}',
            f'val_dataloader.dataset.data_root={root}', f'test_dataloader.dataset.data_root={root}',
            f'val_evaluator.ann_file={ann}', f'val_evaluator.seg_prefix={seg}', f'test_evaluator.ann_file={ann}',
            f'test_evaluator.seg_prefix={seg}', 'train_dataloader.batch_size=2', 'train_dataloader.num_workers=0',
            'train_dataloader.persistent_workers=False', 'val_dataloader.num_workers=0',
            'val_dataloader.persistent_workers=False', 'test_dataloader.num_workers=0',
            'test_dataloader.persistent_workers=False', 'default_hooks.logger.interval=1',
            'model.clip.init_cfg=None' if pretrained is None else f'model.clip.init_cfg.checkpoint={pretrained}']


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('pan')
    root, work = str(tmp / 'syn'), str(tmp / 'work')
    run_tool('tools/dataset_converters/make_synthetic.py', root, '--num-train', '24', '--num-val', '3', '--size', '64')
    run_tool('tools/train.py', CFG, '--work-dir', work, *data_options(root), 'train_cfg.max_iters=2',
             'train_cfg.val_interval=2', 'default_hooks.checkpoint.interval=2')
    return root, work


def test_help():
    for tool in ('tools/test.py', 'tools/demo/ov_panoptic.py'):
        assert run_tool(tool, '--help').stdout.startswith('usage:')


@pytest.mark.slow  # trains (make test-all runs it)
def test_train_then_evaluate_seen_and_unseen(trained):
    root, work = trained
    log = open(glob.glob(osp.join(work, '*', '*.log'))[0]).read()
    assert 'parameters train' in log and 'UMG-CLIP towers are frozen' in log
    assert 'panoptic quality over the' in log and 'coco_panoptic/PQ' in log
    out = run_tool('tools/test.py', CFG, osp.join(work, 'iter_2.pth'), '--work-dir', str(osp.join(work, 'test')),
                   *data_options(root), 'model.ensemble=None')
    text = out.stdout + out.stderr
    assert 'coco_panoptic/PQ_seen' in text or 'PQ_seen' in text


@pytest.mark.slow  # trains (make test-all runs it)
def test_demo_writes_overlay_and_segments(trained, tmp_path):
    root, work = trained
    image = glob.glob(osp.join(root, 'images', 'val', '*.png'))[0]
    out = str(tmp_path / 'out')
    run_tool('tools/demo/ov_panoptic.py', image, '--config', CFG, '--checkpoint', osp.join(work, 'iter_2.pth'),
             '--vocab', 'circle|disc,star,sky', '--stuff', 'sky', '--out', out)
    stem = osp.splitext(osp.basename(image))[0]
    import mmcv
    drawn = mmcv.imread(osp.join(out, 'vis', stem + '.png'))
    assert drawn.shape[0] >= 64 and drawn.shape[1] > 64  # the segments over the image and a legend beside it
    result = json.load(open(osp.join(out, 'preds', stem + '.json')))
    assert result['classes'] == ['circle', 'star', 'sky']
    for seg in result['segments']:
        assert seg['label'] in result['classes'] and seg['area'] > 0
        assert seg['isthing'] == (seg['label'] != 'sky')


def test_missing_data_and_checkpoint_are_clear_errors(tmp_path):
    with pytest.raises(BaseException, match='make_synthetic.py'):
        run_tool('tools/train.py', CFG, '--work-dir', str(tmp_path), *data_options(str(tmp_path / 'nowhere')))
    with pytest.raises(BaseException, match='nothing.pth'):
        run_tool('tools/train.py', CFG, '--work-dir', str(tmp_path), *data_options(str(tmp_path), 'nothing.pth'))


def load_demo():
    import importlib.util
    from conftest import REPO
    spec = importlib.util.spec_from_file_location('ov_panoptic', osp.join(REPO, 'tools', 'demo', 'ov_panoptic.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_demo_bad_input_names_the_fix(tmp_path):
    """A folder without images, an empty file, a truncated JPEG as the image; a class given twice: each said plainly, before any
    model is built (the truncated one is a warning, the others end the run)."""
    import cv2
    import numpy as np
    demo = load_demo()
    ckpt = tmp_path / 'w.pth'
    ckpt.write_bytes(b'PK\x03\x04')
    empty = tmp_path / 'empty.jpg'
    empty.write_bytes(b'')
    good = tmp_path / 'good.jpg'
    cv2.imwrite(str(good), np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8))
    args = ['--config', CFG, '--checkpoint', str(ckpt), '--out', str(tmp_path / 'out')]
    (tmp_path / 'none').mkdir()  # a folder is a list of images now: one without any is refused
    with pytest.raises(SystemExit, match='none has no image file'):
        demo.main([str(tmp_path / 'none'), *args, '--vocab', 'cat,dog'])
    with pytest.raises(SystemExit, match=r'empty.jpg is not an image file .*\(0 bytes\)'):
        demo.main([str(empty), *args, '--vocab', 'cat,dog'])
    with pytest.raises(SystemExit, match="repeats class 0"):
        demo.main([str(good), *args, '--vocab', 'cat,cat'])
    with pytest.raises(SystemExit, match='vocabulary is empty'):
        demo.main([str(good), *args, '--vocab', ' , '])
    from umgclip_mm.apis.inputs import check_input_files
    cut = tmp_path / 'cut.jpg'
    cut.write_bytes(good.read_bytes()[:len(good.read_bytes()) * 2 // 3])
    with pytest.warns(UserWarning, match='cut.jpg is truncated'):
        image = check_input_files(str(cut), CFG, str(ckpt))
    assert image.shape == (64, 64, 3)


def test_demo_draws_a_prediction_without_segments():
    """Nothing of the vocabulary found (every pixel void): no segment in the JSON, and the drawing is the image with
    a note beside it (mmdet's own panoptic drawing fails on an empty map)."""
    import numpy as np
    import torch
    from mmdet.structures import DetDataSample
    from mmengine.structures import PixelData

    from umgclip_mm.apis.inferencers.pred_to_json import segments_of
    from umgclip_mm.visualization import OVDetLocalVisualizer
    from umgclip_mm.vocabulary import build_vocabulary
    vocab = build_vocabulary(dict(thing_classes=['cat'], stuff_classes=['sky']))
    result = DetDataSample(pred_panoptic_seg=PixelData(sem_seg=torch.full((1, 48, 64), len(vocab))))  # all void
    assert segments_of(result.pred_panoptic_seg.sem_seg[0].numpy(), vocab.names, vocab.num_things) == []
    vis = OVDetLocalVisualizer(name='no_segments')
    vis.set_vocabulary(vocab.names, vocab.thing_classes, vocab.stuff_classes)
    drawn = vis.draw_prediction(np.full((48, 64, 3), 128, np.uint8), result)
    assert drawn.shape[0] >= 48 and drawn.shape[1] > 64  # a panel with the note beside the image
    assert (drawn[:48, :64] == 128).all() and (drawn[:, 64:] != 128).any()
