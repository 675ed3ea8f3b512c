"""One path from (config, checkpoint, image, vocabulary) to a drawing and a JSON: the command-line demo
(tools/demo/image_demo.py), the web page's callback (WebDemo.run) and tools/test.py --show-dir draw the same pixels
for the same model, image and vocabulary, and the demo's JSON holds the inferencer's fields."""
import glob
import importlib.util
import json
import os.path as osp

import mmcv
import numpy as np
import pytest
from conftest import REPO
from test_tools.test_ov_demos import DETECTION, random_checkpoint

THR = 0.05  # low: the random model's boxes are drawn (none scores exactly 0.05: mmdet's hook keeps > THR)


def load_main(path):
    spec = importlib.util.spec_from_file_location('one_path_' + osp.basename(path)[:-3], osp.join(REPO, path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.main


@pytest.fixture(scope='module')
def toy(tmp_path_factory):
    """Two held-out toy scenes (64 px) and a random-weight checkpoint of the toy detector."""
    from umgclip_mm.datasets.toy_world import generate
    tmp = tmp_path_factory.mktemp('one_path')
    root = str(tmp / 'syn')
    generate(root, num_train=2, num_val=2, size=64)
    return root, random_checkpoint(DETECTION, tmp / 'detection.pth'), tmp


def test_cli_web_and_test_show_draw_the_same_pixels(toy, monkeypatch):
    from mmengine.registry import DefaultScope

    from umgclip_mm.apis import OVDetInferencer
    from umgclip_mm.apis.web_demo import WebDemo
    root, ckpt, tmp = toy
    image = sorted(glob.glob(osp.join(root, 'images', 'val', '*.png')))[0]
    stem = osp.splitext(osp.basename(image))[0]
    rgb = mmcv.imread(image, channel_order='rgb')
    h, w = rgb.shape[:2]
    inferencer = OVDetInferencer(osp.join(REPO, DETECTION), ckpt)
    texts = ['|'.join(s) for s in inferencer.model.test_vocab.synonyms]  # the config's test vocabulary
    expected = inferencer(image, texts=texts, return_vis=True, pred_score_thr=THR)
    # the command line
    with DefaultScope.overwrite_default_scope('umgclip_mm'):
        load_main('tools/demo/image_demo.py')([image, osp.join(REPO, DETECTION), '--weights', ckpt, '--texts',
                                               ','.join(texts), '--out-dir', str(tmp / 'cli'), '--save-pred',
                                               '--pred-score-thr', str(THR)])
    cli = mmcv.imread(str(tmp / 'cli' / 'vis' / f'{stem}.png'), channel_order='rgb')
    fields = json.load(open(tmp / 'cli' / 'preds' / f'{stem}.json'))
    assert fields == expected['predictions'][0] and fields['detections']  # the inferencer's JSON fields
    assert (cli == expected['visualization'][0]).all()
    # the web page's callback, given the image as the page gives it (RGB)
    with DefaultScope.overwrite_default_scope('umgclip_mm'):
        web, table, message = WebDemo(dict(detection=(osp.join(REPO, DETECTION), ckpt))).run(
            rgb, ','.join(texts), 'detection', '', THR)
    assert web is not None, message
    assert web.shape == cli.shape and (web == cli).all()
    assert [row[0] for row in table['data']] == [d['name'] for d in fields['detections']]
    # tools/test.py --show-dir: ground truth | prediction, the prediction drawn as the demos draw it
    monkeypatch.delenv('DISPLAY', raising=False)
    with DefaultScope.overwrite_default_scope('umgclip_mm'):
        load_main('tools/test.py')([osp.join(REPO, DETECTION), ckpt, '--work-dir', str(tmp / 'work'), '--show-dir',
                                    str(tmp / 'show'), '--cfg-options', f'test_dataloader.dataset.data_root={root}',
                                    'test_dataloader.batch_size=1', 'test_dataloader.num_workers=0',
                                    'test_dataloader.persistent_workers=False', 'model.clip.init_cfg=None',
                                    f'test_evaluator.ann_file={root}/annotations/instances_val.json',
                                    f'default_hooks.visualization.score_thr={THR}'])
    shown = mmcv.imread(str(tmp / 'show' / osp.basename(image)), channel_order='rgb')
    assert shown.shape == (h, 2 * w, 3)
    assert (shown[:, w:] == cli[:h, :w]).all()  # the picture part of the demo's drawing, pixel for pixel
    assert not (cli[:h, :w] == rgb).all()  # and something was drawn on it
    assert np.abs(shown[:, :w].astype(int) - rgb).sum() > 0  # the ground truth, drawn on the left
