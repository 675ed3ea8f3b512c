"""mmdet's OVCocoMetric with our data sets' metainfo: base and novel AP50 come apart as the predictions say."""
import json
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from conftest import REPO
from umgclip_mm.datasets import OVCocoDataset
from umgclip_mm.datasets.toy_world import generate
from umgclip_mm.registry import DATASETS


def evaluate(dataset, ann_file, predict):
    """OVCocoMetric over ``dataset`` (test mode); ``predict(box, label)`` gives each ground-truth box's prediction
    (an xyxy box) or None."""
    from mmdet.evaluation import OVCocoMetric
    metric = OVCocoMetric(ann_file=ann_file, metric='bbox')
    metric.dataset_meta = dataset.metainfo
    samples = []
    for info in dataset:
        boxes, labels = [], []
        for inst in info['instances']:
            box = predict(inst['bbox'], inst['bbox_label'])
            if box is not None:
                boxes.append(box)
                labels.append(inst['bbox_label'])
        samples.append(dict(img_id=info['img_id'], ori_shape=(info['height'], info['width']),
                            pred_instances=dict(bboxes=torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4),
                                                scores=torch.full((len(boxes), ), 0.9),
                                                labels=torch.tensor(labels, dtype=torch.long))))
    metric.process({}, samples)
    return metric.evaluate(len(samples))


def test_base_and_novel_ap50_by_hand(tmp_path):
    """dog (base) and cat (novel) in three images: dog boxes found exactly, cat boxes all misplaced, and the other
    way round."""
    box = dict(area=400.0, iscrowd=0)
    ann_file = str(tmp_path / 'instances_val.json')
    with open(ann_file, 'w') as f:
        json.dump(dict(images=[dict(id=i, file_name=f'{i}.jpg', height=64, width=64) for i in (1, 2, 3)],
                       annotations=[dict(box, id=1, image_id=1, category_id=5, bbox=[2, 2, 20, 20]),
                                    dict(box, id=2, image_id=2, category_id=9, bbox=[30, 30, 20, 20]),
                                    dict(box, id=3, image_id=3, category_id=5, bbox=[40, 4, 20, 20]),
                                    dict(box, id=4, image_id=3, category_id=9, bbox=[4, 40, 20, 20])],
                       categories=[dict(id=5, name='dog'), dict(id=9, name='cat')]), f)
    ds = OVCocoDataset(ann_file=ann_file, data_prefix=dict(img=''), pipeline=[], test_mode=True,
                       metainfo=dict(classes=['dog', 'cat'], base_classes=['dog'], novel_classes=['cat']))
    away = [44, 44, 60, 60]  # IoU with every cat box < 0.5

    res = evaluate(ds, ann_file, lambda b, label: b if label == 0 else away)
    assert res['coco/base_ap50'] == pytest.approx(1.0) and res['coco/novel_ap50'] == pytest.approx(0.0)
    res = evaluate(ds, ann_file, lambda b, label: b if label == 1 else [0, 0, 1, 1])
    assert res['coco/base_ap50'] == pytest.approx(0.0) and res['coco/novel_ap50'] == pytest.approx(1.0)


def test_toy_config_split(tmp_path):
    """The toy detection config's val data set and metric on a tiny toy world: seen things found, unseen missed."""
    generate(str(tmp_path), num_train=2, num_val=12, size=48)
    cfg = Config.fromfile(osp.join(REPO, 'configs', '_base_', 'datasets', 'synthetic_detection.py'))
    init_default_scope('umgclip_mm')
    ds = DATASETS.build(dict(cfg.val_dataloader.dataset, data_root=str(tmp_path) + '/', pipeline=[]))
    assert ds.metainfo['novel_classes'] == ['star', 'hexagon']
    shown = {ds.metainfo['classes'][i['bbox_label']] for d in ds for i in d['instances']}
    assert shown & {'star', 'hexagon'} and shown - {'star', 'hexagon'}  # both kinds to score
    ann_file = osp.join(str(tmp_path), 'annotations', 'instances_val.json')
    unseen = [ds.metainfo['classes'].index(c) for c in cfg.unseen_classes]
    res = evaluate(ds, ann_file, lambda b, label: None if label in unseen else b)
    assert res['coco/base_ap50'] == pytest.approx(1.0) and res['coco/novel_ap50'] == pytest.approx(0.0)
