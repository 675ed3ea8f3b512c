"""The open-vocabulary semantic segmentation dataset configs (configs/_base_/datasets/ov_semseg_*.py,
synthetic_semseg.py) load, and their val data sets, pipelines and metrics build under mmseg's and mmdet's default
scope on tiny files in the real layouts."""
import os
import os.path as osp

import numpy as np
import pytest
from mmengine.config import Config
from mmengine.registry import DATASETS, METRICS, init_default_scope
from PIL import Image

from conftest import REPO
from umgclip_mm.vocabulary import build_vocabulary

BASE = osp.join(REPO, 'configs', '_base_', 'datasets')
NAMES = dict(ade20k_150='ov_semseg_ade20k-150.py', ade20k_847='ov_semseg_ade20k-847.py',
             pascal_context_59='ov_semseg_pascal-context-59.py', pascal_context_459='ov_semseg_pascal-context-459.py',
             pascal_voc_20='ov_semseg_pascal-voc-20.py', pascal_voc_21='ov_semseg_pascal-voc-21.py')


def write(root, rel_img, rel_seg, label):
    os.makedirs(osp.dirname(osp.join(root, rel_img)), exist_ok=True)
    os.makedirs(osp.dirname(osp.join(root, rel_seg)), exist_ok=True)
    Image.fromarray(np.full(label.shape + (3, ), 100, np.uint8)).save(osp.join(root, rel_img))
    Image.fromarray(label).save(osp.join(root, rel_seg))


def build_val(cfg, root, scope):
    init_default_scope(scope)
    ds_cfg = cfg.val_dataloader.dataset.copy()
    ds_cfg['data_root'] = root
    dataset = DATASETS.build(ds_cfg)
    metric = METRICS.build(cfg.val_evaluator)
    metric.dataset_meta = dataset.metainfo
    return dataset, metric


@pytest.mark.parametrize('name', sorted(NAMES))
def test_benchmark_configs_load_with_a_matching_vocabulary(name):
    cfg = Config.fromfile(osp.join(BASE, NAMES[name]))
    assert cfg.vocab == dict(class_list=name)
    assert cfg.get('train_dataloader') is None and cfg.test_dataloader == cfg.val_dataloader
    types = [t['type'] for t in cfg.val_dataloader.dataset.pipeline]
    types += [cfg.val_dataloader.dataset.type, cfg.val_evaluator.type]
    assert all(t.split('.')[0] in ('mmcv', 'mmseg', 'umgclip_mm') for t in types), types
    cls = DATASETS.get(cfg.val_dataloader.dataset.type)
    classes = cfg.val_dataloader.dataset.get('metainfo', {}).get('classes', cls.METAINFO['classes'])
    build_vocabulary(cfg.vocab).check_names(list(classes), name)


@pytest.mark.parametrize('scope', ['mmseg', 'mmdet'])
@pytest.mark.parametrize('name,img,seg,n', [
    ('ade20k_847', 'images_detectron2/validation/ADE_val_00000001.jpg',
     'annotations_detectron2/validation/ADE_val_00000001.tif', 847),
    ('pascal_context_459', 'images/validation/2008_000002.jpg', 'annotations_ctx459/validation/2008_000002.tif', 459),
])
def test_16bit_benchmarks_build_and_score_on_their_layout(tmp_path, scope, name, img, seg, n):
    cfg = Config.fromfile(osp.join(BASE, NAMES[name]))
    label = np.array([[300, 300, n - 1], [65535, 2, 2]], np.uint16)
    write(str(tmp_path), img, seg, label)
    dataset, metric = build_val(cfg, str(tmp_path), scope)
    item = dataset[0]
    gt = item['data_samples'].gt_sem_seg.data
    assert gt[0].tolist() == label.tolist() and item['inputs'].shape[0] == 3
    metric.process({}, [dict(gt_sem_seg=dict(data=gt), pred_sem_seg=dict(data=gt.clone()))])
    assert metric.evaluate(1)['mIoU'] == 100.0


@pytest.mark.parametrize('scope', ['mmseg', 'mmdet'])
def test_voc20_ignores_background_and_ade150_reduces_zero(tmp_path, scope):
    root = str(tmp_path)
    voc = Config.fromfile(osp.join(BASE, NAMES['pascal_voc_20']))
    write(root, 'JPEGImages/a.jpg', 'SegmentationClass/a.png', np.array([[0, 1], [20, 255]], np.uint8))
    os.makedirs(osp.join(root, 'ImageSets/Segmentation'))
    with open(osp.join(root, 'ImageSets/Segmentation/val.txt'), 'w') as f:
        f.write('a\n')
    dataset, _ = build_val(voc, root, scope)
    assert len(dataset.metainfo['classes']) == 20
    assert dataset[0]['data_samples'].gt_sem_seg.data[0].tolist() == [[255, 0], [19, 255]]
    ade = Config.fromfile(osp.join(BASE, NAMES['ade20k_150']))
    write(root, 'images/validation/b.jpg', 'annotations/validation/b.png', np.array([[0, 1], [150, 255]], np.uint8))
    dataset, _ = build_val(ade, root, scope)
    assert dataset[0]['data_samples'].gt_sem_seg.data[0].tolist() == [[255, 0], [149, 255]]


def test_coco_stuff_config_trains_on_512_crops_with_the_dataset_vocabulary():
    cfg = Config.fromfile(osp.join(BASE, 'ov_semseg_coco-stuff-171.py'))
    assert cfg.train_dataloader.dataset.type == 'mmseg.COCOStuffDataset'
    crop = [t for t in cfg.train_dataloader.dataset.pipeline if t['type'] == 'mmseg.RandomCrop']
    assert crop and crop[0]['crop_size'] == (512, 512)
    assert len(build_vocabulary(cfg.vocab)) == 171
    init_default_scope('mmdet')
    from mmengine.dataset import Compose
    from mmengine.registry import DATA_SAMPLERS, TRANSFORMS
    Compose([TRANSFORMS.build(t) for t in cfg.train_dataloader.dataset.pipeline])
    assert DATA_SAMPLERS.get(cfg.train_dataloader.sampler.type) is not None


@pytest.mark.parametrize('scope', ['mmseg', 'mmdet'])
def test_synthetic_config_trains_on_seen_images_and_splits_the_metric(tmp_path, scope):
    cfg = Config.fromfile(osp.join(BASE, 'synthetic_semseg.py'))
    assert cfg.unseen_classes == ['star', 'hexagon', 'sand'] and len(cfg.seen_classes) == 10
    assert build_vocabulary(cfg.train_vocab).names == cfg.seen_classes and len(build_vocabulary(cfg.vocab)) == 13
    root = str(tmp_path)
    train_labels, val_labels = [[[0, 8], [8, 8]], [[3, 9], [9, 9]]], [[[0, 3], [3, 3]], [[11, 9], [9, 9]]]
    for split, labels in (('train', train_labels), ('val', val_labels)):
        for i, lab in enumerate(labels):
            write(root, f'images/{split}/{split}_{i:06d}.png', f'semantic/{split}/{split}_{i:06d}.png',
                  np.array(lab, np.uint8))
    init_default_scope(scope)
    train = DATASETS.build(dict(cfg.train_dataloader.dataset, data_root=root))
    assert len(train) == 1 and list(train.metainfo['classes']) == cfg.seen_classes  # train_000001 shows a star
    out = train[0]  # a 2x2 scene, rescaled towards 128x128 and cropped to at most that
    assert max(out['data_samples'].gt_sem_seg.data.shape[-2:]) <= 128 and out['inputs'].shape[0] == 3
    dataset, metric = build_val(cfg, root, scope)
    assert len(dataset) == 2 and metric.unseen_classes == {'star', 'hexagon', 'sand'}
    for i in range(2):
        gt = dataset[i]['data_samples'].gt_sem_seg.data
        metric.process({}, [dict(gt_sem_seg=dict(data=gt), pred_sem_seg=dict(data=gt.clone()))])
    out = metric.evaluate(2)
    assert out['mIoU_seen'] == out['mIoU_unseen'] == out['hIoU'] == 100.0


def test_synthetic_metric_passes_the_vocabulary_check_hook():
    from types import SimpleNamespace

    from umgclip_mm.engine.hooks.vocabulary_check_hook import check_unseen_lists
    cfg = Config.fromfile(osp.join(BASE, 'synthetic_semseg.py'))
    init_default_scope('mmseg')
    metric = METRICS.build(cfg.val_evaluator)
    train, test = build_vocabulary(cfg.train_vocab), build_vocabulary(cfg.vocab)
    check_unseen_lists(train, test, SimpleNamespace(metrics=[metric]), 'val')
    metric.unseen_classes = {'star'}
    with pytest.raises(ValueError, match='hexagon'):
        check_unseen_lists(train, test, SimpleNamespace(metrics=[metric]), 'val')
