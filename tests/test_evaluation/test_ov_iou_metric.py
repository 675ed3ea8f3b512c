"""OVIoUMetric (mIoU over seen / unseen classes, hIoU) and 16-bit labels through LoadSegAnnotations16 ->
PackSegInputs -> IoUMetric."""
import math

import numpy as np
import pytest
import torch
from mmseg.datasets.transforms import LoadAnnotations, PackSegInputs
from mmseg.evaluation.metrics import IoUMetric
from PIL import Image

from umgclip_mm.datasets import LoadSegAnnotations16
from umgclip_mm.evaluation.metrics import OVIoUMetric


def sample(gt, pred):
    return dict(gt_sem_seg=dict(data=torch.as_tensor(gt)[None]), pred_sem_seg=dict(data=torch.as_tensor(pred)[None]))


def test_seen_unseen_and_harmonic_mean_on_known_ious():
    # classes a, b (seen), c, d (unseen), e (absent everywhere: nan, left out); 255 ignored
    gt = np.array([[0, 0, 1, 1], [2, 2, 3, 255]])
    pred = np.array([[0, 1, 1, 1], [2, 3, 3, 0]])
    # IoU: a 1/2, b 2/3, c 1/2, d 1/2
    metric = OVIoUMetric(unseen_classes=['C', 'd'])
    metric.dataset_meta = dict(classes=['a', 'b', 'c', 'd', 'e'])
    metric.process({}, [sample(gt, pred)])
    out = metric.evaluate(1)
    seen, unseen = 100 * (1 / 2 + 2 / 3) / 2, 100 * (1 / 2 + 1 / 2) / 2
    assert out['mIoU'] == pytest.approx(100 * (1 / 2 + 2 / 3 + 1 / 2 + 1 / 2) / 4, abs=0.01)
    assert out['mIoU_seen'] == pytest.approx(seen, abs=0.01)
    assert out['mIoU_unseen'] == pytest.approx(unseen, abs=0.01)
    assert out['hIoU'] == pytest.approx(2 * seen * unseen / (seen + unseen), abs=0.01)
    assert metric.unseen_classes == {'c', 'd'}


def test_predicted_but_absent_class_counts_zero_and_empty_split_is_left_out():
    metric = OVIoUMetric(unseen_classes=['c'])
    metric.dataset_meta = dict(classes=['a', 'b', 'c'])
    metric.process({}, [sample(np.array([[0, 0]]), np.array([[0, 1]]))])  # b predicted, absent: IoU 0
    out = metric.evaluate(1)
    assert out['mIoU_seen'] == pytest.approx(25.0)
    assert 'mIoU_unseen' not in out and 'hIoU' not in out


def test_unknown_unseen_class_is_a_clear_error():
    metric = OVIoUMetric(unseen_classes=['zebra'])
    metric.dataset_meta = dict(classes=['a', 'b'])
    metric.process({}, [sample(np.array([[0]]), np.array([[0]]))])
    with pytest.raises(ValueError, match="'zebra'.*not a class of the evaluated data set"):
        metric.evaluate(1)


def test_16bit_labels_survive_loading_packing_and_iou(tmp_path):
    label = np.array([[300, 300, 2], [65535, 2, 300]], np.uint16)
    path = str(tmp_path / 'x.tif')
    Image.fromarray(label).save(path)
    results = dict(seg_map_path=path, reduce_zero_label=False, seg_fields=[], label_map=None)
    loaded = LoadSegAnnotations16()(dict(results, seg_fields=[]))
    assert loaded['gt_seg_map'].dtype == np.uint16 and np.array_equal(loaded['gt_seg_map'], label)
    folded = LoadAnnotations()(dict(results, seg_fields=[]))['gt_seg_map']  # mmseg's: 300 -> 44
    assert folded[0, 0] == 44
    loaded['img'] = np.zeros((2, 3, 3), np.uint8)
    packed = PackSegInputs()(loaded)['data_samples']
    gt = packed.gt_sem_seg.data
    assert gt.dtype == torch.int64 and gt[0, 0, 0] == 300 and gt[0, 1, 0] == 65535
    names = [f'c{i}' for i in range(847)]
    for metric in (IoUMetric(ignore_index=65535), OVIoUMetric(ignore_index=65535, unseen_classes=['c300'])):
        metric.dataset_meta = dict(classes=names)
        metric.process({}, [dict(gt_sem_seg=dict(data=gt), pred_sem_seg=dict(data=gt.clone()))])
        results_ = metric.results
        iou = (results_[0][0] / results_[0][1]).numpy()
        assert iou[300] == 1 and iou[2] == 1 and math.isnan(iou[44])
        out = metric.evaluate(1)
        assert out['mIoU'] == 100.0
    assert out['mIoU_unseen'] == 100.0 and out['mIoU_seen'] == 100.0


def test_reduce_zero_label_and_label_map_on_16bit(tmp_path):
    path = str(tmp_path / 'y.png')
    Image.fromarray(np.array([[0, 1, 301, 65535]], np.uint16)).save(path)
    out = LoadSegAnnotations16()(dict(seg_map_path=path, reduce_zero_label=True, seg_fields=[],
                                      label_map={0: 65535, 300: 0}))['gt_seg_map']
    assert out.tolist() == [[65535, 65535, 0, 65535]]
    path8 = str(tmp_path / 'z.png')
    Image.fromarray(np.array([[0, 1, 255]], np.uint8)).save(path8)
    out = LoadSegAnnotations16()(dict(seg_map_path=path8, reduce_zero_label=True, seg_fields=[]))['gt_seg_map']
    assert out.tolist() == [[255, 0, 255]]
    Image.fromarray(np.zeros((2, 2, 3), np.uint8)).save(str(tmp_path / 'rgb.png'))
    with pytest.raises(ValueError, match='rgb.png.*seg_map_path.*one channel'):
        LoadSegAnnotations16()(dict(seg_map_path=str(tmp_path / 'rgb.png'), reduce_zero_label=False, seg_fields=[]))


def test_16bit_labels_survive_mmseg_training_transforms():
    from mmengine.registry import TRANSFORMS, init_default_scope
    init_default_scope('mmseg')
    seg = np.array([[300] * 6] * 2 + [[65535] * 6] * 2, np.uint16)
    results = dict(img=np.zeros((4, 6, 3), np.uint8), gt_seg_map=seg, seg_fields=['gt_seg_map'], img_shape=(4, 6),
                   ori_shape=(4, 6))
    for cfg in (dict(type='mmcv.RandomResize', scale=(12, 8), ratio_range=(1.0, 1.0), keep_ratio=True,
                     resize_type='mmseg.Resize'),
                dict(type='mmseg.RandomCrop', crop_size=(5, 5), ignore_index=65535),
                dict(type='mmseg.RandomFlip', prob=1.0)):
        results = TRANSFORMS.build(cfg)(results)
        assert results['gt_seg_map'].dtype == np.uint16
        assert set(np.unique(results['gt_seg_map']).tolist()) <= {300, 65535}
    assert 300 in results['gt_seg_map']
