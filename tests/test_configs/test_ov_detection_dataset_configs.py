"""The open-vocabulary detection data set configs (OV-COCO, OV-LVIS, the toy world): they load, their class splits are
consistent, and their data sets build on tiny files made in the real layout by the real tools."""
import json
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from conftest import REPO, run_tool
from test_tools.test_ov_detection_converters import coco_file
from umgclip_mm.registry import DATASETS
from umgclip_mm.vocabulary import build_vocabulary, read_class_list


def load(name):
    init_default_scope('umgclip_mm')
    return Config.fromfile(osp.join(REPO, 'configs', '_base_', 'datasets', f'{name}.py'))


def build(dataset_cfg, data_root):
    """A data set of a config at ``data_root``, the real one's layout below it."""
    if dataset_cfg.get('dataset') is not None:  # a wrapper (ClassBalancedDataset)
        return DATASETS.build(dict(dataset_cfg, dataset=dict(dataset_cfg.dataset, data_root=data_root)))
    return DATASETS.build(dict(dataset_cfg, data_root=data_root))


def test_ov_coco(tmp_path):
    cfg = load('ov_coco_detection')
    assert cfg.base_classes == read_class_list('ov_coco_base_48')
    assert cfg.novel_classes == read_class_list('ov_coco_novel_17')
    assert sorted(cfg.classes) == sorted(cfg.base_classes + cfg.novel_classes) and len(cfg.classes) == 65
    train_vocab, test_vocab = build_vocabulary(cfg.train_vocab), build_vocabulary(cfg.test_vocab)
    assert test_vocab.unseen_names(train_vocab) == cfg.novel_classes
    # COCO 2017's files, as tiny ones, through the converter, into data/coco's layout
    root = tmp_path / 'coco'
    (root / 'annotations').mkdir(parents=True)
    for split in ('train', 'val'):
        coco_file(root / 'annotations' / f'instances_{split}2017.json')
    run_tool('tools/dataset_converters/prepare_ov_coco.py', str(root))
    val = build(cfg.val_dataloader.dataset, str(root) + '/')
    assert val.metainfo['base_classes'] == cfg.base_classes and len(val) == 3
    assert val.get_data_info(0)['img_path'] == str(root / 'val2017' / '000000000001.jpg')
    train = build(dict(cfg.train_dataloader.dataset, filter_cfg=dict(filter_empty_gt=True, min_size=1)),
                  str(root) + '/')
    assert len(train) == 2 and train.metainfo['classes'] == cfg.base_classes
    assert osp.isfile(cfg.val_evaluator.ann_file.replace('data/coco', str(root)))


def test_ov_coco_missing_files_name_the_converter(tmp_path):
    cfg = load('ov_coco_detection')
    with pytest.raises(FileNotFoundError, match='prepare_ov_coco.py'):
        build(cfg.train_dataloader.dataset, str(tmp_path / 'coco') + '/')


def lvis_like(path, names, rare):
    """An LVIS v1 file with all 1203 categories (named as the files name them): image 1 shows a base and a rare
    object, image 2 the rare one only."""
    file_names = ['speaker_(stero_equipment)' if n == 'speaker_(stereo_equipment)' else n for n in names]
    cats = [dict(id=i + 1, name=n, frequency='r' if names[i] in rare else 'f') for i, n in enumerate(file_names)]
    box = dict(bbox=[1.0, 1.0, 8.0, 8.0], area=64.0, segmentation=[[1, 1, 9, 1, 9, 9, 1, 9]])
    rare_id = names.index(rare[0]) + 1
    anns = [dict(box, id=1, image_id=1, category_id=1), dict(box, id=2, image_id=1, category_id=rare_id),
            dict(box, id=3, image_id=2, category_id=rare_id)]
    images = [dict(id=i, height=32, width=32, coco_url=f'http://images.cocodataset.org/train2017/{i:012d}.jpg',
                   neg_category_ids=[], not_exhaustive_category_ids=[]) for i in (1, 2)]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(dict(images=images, annotations=anns, categories=cats)))


def test_ov_lvis(tmp_path):
    pytest.importorskip('lvis')
    from mmdet.datasets import LVISV1Dataset
    from mmdet.evaluation import LVISMetric
    cfg = load('ov_lvis_instance')
    names = list(LVISV1Dataset.METAINFO['classes'])
    rare_classes, base_classes = read_class_list('lvis_v1_rare_337'), read_class_list('lvis_v1_base_866')
    assert len(rare_classes) == 337 and len(base_classes) == 866
    assert [n for n in names if n not in rare_classes] == base_classes  # the label order
    train_vocab, test_vocab = build_vocabulary(cfg.train_vocab), build_vocabulary(cfg.test_vocab)
    assert len(test_vocab) == 1203 and test_vocab.unseen_names(train_vocab) == [
        build_vocabulary([n]).names[0] for n in rare_classes]
    root = tmp_path / 'lvis_v1'
    for split in ('train', 'val'):
        lvis_like(root / 'annotations' / f'lvis_v1_{split}.json', names, rare_classes)
    with pytest.raises(FileNotFoundError, match='prepare_ov_lvis.py'):
        build(cfg.train_dataloader.dataset, str(root) + '/')
    run_tool('tools/dataset_converters/prepare_ov_lvis.py', str(root))
    train = build(cfg.train_dataloader.dataset, str(root) + '/')
    assert len(train) == 1 and train.metainfo['classes'] == base_classes  # the rare-only image is gone
    val = build(cfg.val_dataloader.dataset, str(root) + '/')
    assert len(val) == 2 and val.metainfo['novel_classes'] == rare_classes
    # mmdet's LVISMetric runs with the installed lvis and numpy: perfect boxes, AP 1 over all and the rare classes
    metric = LVISMetric(ann_file=cfg.val_evaluator.ann_file.replace('data/lvis_v1', str(root)), metric='bbox')
    metric.dataset_meta = val.metainfo
    samples = []
    for info in (val.get_data_info(i) for i in range(len(val))):
        boxes = torch.tensor([i['bbox'] for i in info['instances']], dtype=torch.float32)
        samples.append(dict(img_id=info['img_id'], ori_shape=(32, 32), pred_instances=dict(
            bboxes=boxes, scores=torch.ones(len(boxes)),
            labels=torch.tensor([i['bbox_label'] for i in info['instances']]))))
    metric.process({}, samples)
    res = metric.evaluate(len(samples))
    assert res['lvis/bbox_AP'] == pytest.approx(1.0) and res['lvis/bbox_APr'] == pytest.approx(1.0)


def test_synthetic(tmp_path):
    cfg = load('synthetic_detection')
    root = tmp_path / 'synthetic'
    run_tool('tools/dataset_converters/make_synthetic.py', str(root), '--num-train', '12', '--num-val', '4', '--size',
             '48')
    unseen = [ln for ln in (root / 'vocab' / 'unseen.txt').read_text().split() if ln in cfg.thing_classes]
    assert cfg.unseen_classes == unseen and sorted(cfg.seen_classes + unseen) == sorted(cfg.thing_classes)
    assert build_vocabulary(cfg.test_vocab).unseen_names(build_vocabulary(cfg.train_vocab)) == unseen
    val = build(cfg.val_dataloader.dataset, str(root) + '/')
    assert len(val) == 4 and val.metainfo['novel_classes'] == unseen
    assert val[0]['inputs'].shape[-2:] == (128, 128)
    train = build(cfg.train_dataloader.dataset, str(root) + '/')
    assert train.metainfo['classes'] == cfg.seen_classes
    shown = [{cfg.seen_classes[i] for i in d['data_samples'].gt_instances.labels.tolist()} for d in train]
    assert 0 < len(train) < 12 and not set().union(*shown) & set(unseen)
    assert cfg.train_dataloader.batch_size == 8
