"""OVDetInferencer, OVSegInferencer and ZeroShotInferencer on a photograph with tiny random-weight checkpoints of
the quickstart's toy configs: files, folders, arrays and batches; the vocabulary at call time; out_dir's vis/ and
preds/; one JSON schema per task; typed errors for bad input."""
import json
import os
import os.path as osp

import numpy as np
import pytest
from conftest import REPO
from test_tools.test_ov_demos import DETECTION, NAMES, PANOPTIC, SEMSEG, VOCAB, ZEROSHOT, random_checkpoint

from umgclip_mm.apis import (CheckpointMismatchError, InputError, MissingFileError, OVDetInferencer, OVSegInferencer,
                             TaskError, UMGCLIPInferencer, ZeroShotInferencer)

HEAD = {'image', 'height', 'width', 'task', 'model', 'ensemble', 'dtype', 'classes'}


@pytest.fixture(scope='module')
def files(tmp_path_factory):
    import mmcv
    from matplotlib import cbook
    tmp = tmp_path_factory.mktemp('inferencers')
    photo = mmcv.imrescale(mmcv.imread(cbook.get_sample_data('grace_hopper.jpg', asfileobj=False)), (128, 128))
    (tmp / 'photos').mkdir()
    mmcv.imwrite(photo, str(tmp / 'photos' / 'hopper.png'))
    mmcv.imwrite(mmcv.imflip(photo), str(tmp / 'photos' / 'flipped.png'))
    return dict(folder=str(tmp / 'photos'), image=str(tmp / 'photos' / 'hopper.png'), bgr=photo,
                detection=random_checkpoint(DETECTION, tmp / 'detection.pth'),
                semseg=random_checkpoint(SEMSEG, tmp / 'semseg.pth'),
                towers=random_checkpoint(ZEROSHOT, tmp / 'towers.pth', towers_only=True))


@pytest.fixture(scope='module')
def detector(files):
    return OVDetInferencer(osp.join(REPO, DETECTION), files['detection'], device='cpu')


def test_detection_files_folders_arrays_and_outputs(files, detector, tmp_path):
    out_dir = str(tmp_path / 'out')
    out = detector([files['folder'], files['bgr']], texts=VOCAB, pred_score_thr=0.0, out_dir=out_dir,
                   no_save_pred=False, return_vis=True)
    preds, drawings = out['predictions'], out['visualization']
    assert [osp.basename(p['image'] or '') for p in preds] == ['flipped.png', 'hopper.png', '']
    assert sorted(os.listdir(osp.join(out_dir, 'vis'))) == ['00000000.png', 'flipped.png', 'hopper.png']
    assert sorted(os.listdir(osp.join(out_dir, 'preds'))) == ['00000000.json', 'flipped.json', 'hopper.json']
    assert json.load(open(osp.join(out_dir, 'preds', 'hopper.json'))) == preds[1]
    h, w = files['bgr'].shape[:2]
    for pred in preds:
        assert set(pred) == HEAD | {'score_thr', 'detections'} and pred['classes'] == NAMES
        assert (pred['height'], pred['width'], pred['task'], pred['model']) == (h, w, 'detection', 'OVTwoStageDetector')
        dets = pred['detections']
        assert dets and [d['score'] for d in dets] == sorted((d['score'] for d in dets), reverse=True)
        for d in dets:
            assert NAMES[d['label']] == d['name'] and set(d) == {'name', 'label', 'score', 'bbox', 'box'}
            x1, y1, x2, y2 = d['box']
            assert 0 <= x1 <= x2 <= w and 0 <= y1 <= y2 <= h and d['bbox'][:2] == [x1, y1]
            assert np.allclose(d['bbox'][2:], [x2 - x1, y2 - y1], atol=0.11)  # each rounded to 0.1 px
    # the array (the file's pixels, BGR as mmdet takes them) gives what the file gives, drawn alike
    assert preds[2]['detections'] == preds[1]['detections']
    assert (drawings[2] == drawings[1]).all()
    import mmcv
    assert (mmcv.imread(osp.join(out_dir, 'vis', 'hopper.png'), channel_order='rgb') == drawings[1]).all()
    assert drawings[1].shape[0] >= h and drawings[1].shape[1] > w  # the picture and its legend
    # a batch: the file and the array predicted together alike (the toy detector's results depend on the batch
    # size: compared within one batch)
    both = detector([files['image'], files['bgr']], pred_score_thr=0.0, batch_size=2)['predictions']
    assert len(both) == 2 and both[0]['detections'] == both[1]['detections']


def test_vocabulary_and_threshold_at_call_time(files, detector):
    all_dets = detector(files['image'], texts=['cat', 'dog|puppy'], pred_score_thr=0.0)['predictions'][0]
    assert all_dets['classes'] == ['cat', 'dog'] == detector.classes
    assert {d['name'] for d in all_dets['detections']} <= {'cat', 'dog'}
    thr = all_dets['detections'][len(all_dets['detections']) // 2]['score']
    kept = detector(files['image'], pred_score_thr=thr)['predictions'][0]  # the vocabulary stays
    assert kept['classes'] == ['cat', 'dog'] and kept['detections'] and all(
        d['score'] >= thr for d in kept['detections'])
    assert len(kept['detections']) < len(all_dets['detections'])
    with pytest.raises(InputError, match='repeats class 0'):
        detector(files['image'], texts='cat,dog,cat|kitten')
    with pytest.raises(InputError, match='give a score from 0 to 1'):
        detector(files['image'], pred_score_thr=1.5)


def test_semantic_segmentation_every_pixel_one_class(files):
    seg = OVSegInferencer(osp.join(REPO, SEMSEG), files['semseg'])
    pred = seg(files['image'], texts=VOCAB)['predictions'][0]
    h, w = files['bgr'].shape[:2]
    assert set(pred) == HEAD | {'present'} and pred['classes'] == NAMES and pred['task'] == 'semseg'
    present = pred['present']
    assert sum(c['pixels'] for c in present) == h * w and abs(sum(c['fraction'] for c in present) - 1) < 1e-4
    assert [c['pixels'] for c in present] == sorted((c['pixels'] for c in present), reverse=True)
    with pytest.raises(InputError, match='give at least 2'):
        seg(files['image'], texts='person')


def test_panoptic_segments(files, tmp_path):
    from test_tools.test_web_demo import panoptic_checkpoint
    pan = OVDetInferencer(osp.join(REPO, PANOPTIC), panoptic_checkpoint(tmp_path / 'pan.pth'), task='panoptic')
    pred = pan(files['image'], texts='person|woman,uniform,flag', stuff_texts='background|wall')['predictions'][0]
    assert set(pred) == HEAD | {'num_things', 'segments'} and pred['num_things'] == 3 and pred['classes'] == NAMES
    h, w = files['bgr'].shape[:2]
    assert pred['segments'] and sum(s['area'] for s in pred['segments']) <= h * w
    for s in pred['segments']:
        x, y, bw, bh = s['bbox']
        assert s['isthing'] == (s['label'] != 'background') and bw * bh >= s['area'] > 0 and x + bw <= w
    with pytest.raises(InputError, match='repeats class'):
        pan(files['image'], texts='cat,sky', stuff_texts='sky')


def test_zero_shot_classification_through_the_config_pipeline(files, tmp_path):
    cls_config = 'configs/quickstart/zeroshot_synthetic.py'
    towers = random_checkpoint(cls_config, tmp_path / 'cls_towers.pth', towers_only=True)
    cls = ZeroShotInferencer(osp.join(REPO, cls_config), towers)
    pred = cls(files['bgr'], texts='cat,dog,sky')['predictions'][0]
    scores = [s['score'] for s in pred['scores']]
    assert sorted(s['name'] for s in pred['scores']) == ['cat', 'dog', 'sky'] and pred['task'] == 'zeroshot'
    assert scores == sorted(scores, reverse=True) and abs(sum(scores) - 1) < 1e-4
    assert pred['pred_class'] == pred['scores'][0]['name']
    # UMGCLIPInferencer on the same config, checkpoint and image: the same scores (one path, issue 23)
    same = UMGCLIPInferencer(osp.join(REPO, cls_config), towers)(files['bgr'], vocab=['cat', 'dog', 'sky'], topk=3,
                                                                 draw=False)['predictions'][0]
    assert [(t['name'], t['score']) for t in same['topk']] == [(s['name'], s['score']) for s in pred['scores']]


def test_bad_models_and_files_are_typed_errors(files, tmp_path):
    with pytest.raises(TaskError, match=r'OVEncoderDecoder\) does not do detection'):
        OVDetInferencer(osp.join(REPO, SEMSEG), files['semseg'])
    with pytest.raises(TaskError, match=r'OVTwoStageDetector\) does not do panoptic'):
        OVDetInferencer(osp.join(REPO, DETECTION), files['detection'], task='panoptic')
    with pytest.raises(TaskError, match=r'\(UMGCLIP\) is not an open-vocabulary task model'):
        OVSegInferencer(osp.join(REPO, 'configs/quickstart/pretrain_synthetic.py'), files['towers'])
    with pytest.raises(TaskError, match='is no zero-shot classifier'):
        ZeroShotInferencer(osp.join(REPO, SEMSEG), files['semseg'])
    with pytest.raises(MissingFileError, match='config nothing.py does not exist'):
        OVSegInferencer('nothing.py', files['semseg'])
    with pytest.raises(MissingFileError, match='checkpoint nothing.pth does not exist'):
        OVSegInferencer(osp.join(REPO, SEMSEG), 'nothing.pth')
    with pytest.raises(CheckpointMismatchError, match='holds the towers only') as err:
        OVSegInferencer(osp.join(REPO, SEMSEG), files['towers'])
    assert 'does not match the model of the config' in str(err.value)
    text = tmp_path / 'notes.png'
    text.write_text('not a picture\n')
    seg = OVSegInferencer(osp.join(REPO, SEMSEG), files['semseg'])
    with pytest.raises(InputError, match='is not an image file OpenCV can read'):
        seg(str(text), texts='a,b')
    with pytest.raises(MissingFileError, match='does not exist'):
        seg(str(tmp_path / 'missing.png'), texts='a,b')
    with pytest.raises(InputError, match='must be uint8'):
        seg(np.zeros((8, 8, 3), np.float32), texts='a,b')
