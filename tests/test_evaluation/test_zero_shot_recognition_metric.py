"""ZeroShotRecognitionMetric on hand-made predictions with known answers; UMGRetrievalDataset's ids; the toy
quickstart configs (recognition and retrieval) run with tools/test.py on a tiny generated toy world."""
import re

import pytest
import torch
from mmengine.structures import BaseDataElement, InstanceData

from conftest import run_tool
from umgclip_mm.datasets import UMGRetrievalDataset
from umgclip_mm.datasets.toy_world import generate
from umgclip_mm.evaluation.metrics import VocabularyAccuracy, ZeroShotRecognitionMetric

CLASSES = ['circle', 'square', 'star', 'sky']


def onehot(labels, n=4):
    return torch.nn.functional.one_hot(torch.tensor(labels), n).float()


def test_region_and_mask_top1_and_per_class_recall():
    metric = ZeroShotRecognitionMetric(CLASSES, levels=('region', 'mask'), topk=(1, 2))
    # regions: tags give the class (first tag that is one); predictions: circle right, square wrong (star, with
    # square second), star right; an item whose tags name no class is left out
    regions = InstanceData(bboxes=torch.zeros(4, 4), tags=[['circle', 'red'], ['blue', 'square'], ['star'], ['x']])
    region_scores = torch.stack([onehot(0), 0.6 * onehot(2) + 0.4 * onehot(1), onehot(2), onehot(3)])
    # masks from mmdet's gt_instances: labels 3, 3, 0; predicted 3, 0, 0
    masks = InstanceData(labels=torch.tensor([3, 3, 0]), masks=torch.zeros(3, 2, 2))
    umg = BaseDataElement(regions=regions, pred_regions=InstanceData(scores=region_scores))
    mmdet = BaseDataElement(gt_instances=masks, pred_masks=InstanceData(scores=onehot([3, 0, 0])))
    metric.process(None, [umg.to_dict(), mmdet.to_dict()])
    out = metric.compute_metrics(metric.results)
    assert out['region_count'] == 3 and out['region_top1'] == pytest.approx(200 / 3)
    assert out['region_top2'] == 100.0
    assert out['region_mean_recall'] == pytest.approx((100 + 0 + 100) / 3)
    assert out['mask_count'] == 3 and out['mask_top1'] == pytest.approx(200 / 3)
    assert out['mask_mean_recall'] == pytest.approx((50 + 100) / 2)  # sky 1 of 2, circle 1 of 1


def test_mmdet_labels_and_image_labels():
    metric = ZeroShotRecognitionMetric(CLASSES, levels=('image', 'region'), image_classes=['circle', 'square',
                                                                                             'star'], topk=(1, ))
    samples = [
        # one thing class among the tags: labelled circle; sky scores highest but is not an image class
        BaseDataElement(tags=['circle', 'red', 'sky'], pred_score=torch.tensor([0.3, 0.1, 0.1, 0.5]),
                        gt_instances=InstanceData(labels=torch.tensor([1]), bboxes=torch.zeros(1, 4)),
                        pred_regions=InstanceData(scores=onehot([2]))),
        BaseDataElement(tags=['circle', 'star'], pred_score=onehot(0)),  # two classes: left out
        BaseDataElement(gt_label=torch.tensor([2]), pred_score=onehot(1)),  # mmpretrain's label: wrong
    ]
    metric.process(None, [s.to_dict() for s in samples])
    out = metric.compute_metrics(metric.results)
    assert out['image_count'] == 2 and out['image_top1'] == 50.0
    assert out['region_count'] == 1 and out['region_top1'] == 0.0
    with pytest.raises(ValueError, match='image_classes'):
        ZeroShotRecognitionMetric(CLASSES, image_classes=['hexagon'])
    with pytest.raises(ValueError, match='levels'):
        ZeroShotRecognitionMetric(CLASSES, levels=['pixel'])


def three_class_samples():
    scores = torch.tensor([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6], [0.5, 0.4, 0.1]])  # right, wrong (2nd), wrong (2nd)
    return [dict(pred_score=s, gt_label=torch.tensor([label])) for s, label in zip(scores, [0, 1, 1])]


def test_top5_on_three_classes_is_dropped_not_a_crash(monkeypatch):
    """mmpretrain's Accuracy ends a 3-class test with an error; VocabularyAccuracy reports what the classes allow."""
    from mmpretrain.evaluation import Accuracy
    plain = Accuracy(topk=(1, 5))
    plain.process(None, three_class_samples())
    with pytest.raises(ValueError, match='Top-5 accuracy is unavailable'):
        plain.compute_metrics(plain.results)
    import umgclip_mm.evaluation.metrics.vocabulary_accuracy as module
    logged = []  # the log note, read where it is made (mmengine's logger may write elsewhere in a long session)
    monkeypatch.setattr(module, 'print_log', lambda msg, *args, **kwargs: logged.append(msg))
    metric = VocabularyAccuracy(topk=(1, 2, 5))
    metric.dataset_meta = dict(classes=('daisy', 'tulip', 'rose'))  # what the runner hands it before the test
    assert metric.topk == (1, 2)
    assert ("top-5 accuracy dropped: the vocabulary has 3 classes (counted from the data set's classes); reporting "
            "top-1/2") in ' '.join(logged)
    metric.process(None, three_class_samples())
    out = metric.compute_metrics(metric.results)
    assert out == {'top1': pytest.approx(100 / 3), 'top2': pytest.approx(100.0)}
    blind = VocabularyAccuracy(topk=(1, 5))  # no data set meta: the score vectors' length decides
    blind.process(None, three_class_samples())
    assert set(blind.compute_metrics(blind.results)) == {'top1'}
    assert VocabularyAccuracy(topk=5, num_classes=3).topk == (1, )


def test_recognition_metric_drops_topk_above_its_classes():
    metric = ZeroShotRecognitionMetric(['circle', 'square', 'star'], levels=('region', ), topk=(1, 5))
    assert metric.topk == (1, )
    regions = InstanceData(bboxes=torch.zeros(2, 4), tags=[['circle'], ['star']])
    metric.process(None, [BaseDataElement(regions=regions, pred_regions=InstanceData(
        scores=torch.eye(3)[[0, 1]])).to_dict()])
    out = metric.compute_metrics(metric.results)
    assert out['region_top1'] == 50.0 and 'region_top5' not in out


@pytest.fixture(scope='module')
def toy(tmp_path_factory):
    root = tmp_path_factory.mktemp('toy')
    generate(str(root), num_train=1, num_val=6, size=64)
    return root


def test_retrieval_dataset_numbers_captions_across_images(toy):
    ds = UMGRetrievalDataset(str(toy / 'umg' / 'val.jsonl'), data_root=str(toy), test_mode=True)
    assert len(ds) == ds.img_size == 6 and ds.text_size == 12  # two captions per toy scene
    item = ds[2]
    assert item['gt_text_id'] == [4, 5] and item['gt_image_id'] == [2, 2] and item['image_id'] == 2
    assert item['text'] == ds.captions[2] and item['img_path'].endswith('.png')
    one = UMGRetrievalDataset(str(toy / 'umg' / 'val.jsonl'), data_root=str(toy), max_captions=1, test_mode=True)
    assert one.text_size == 6 and one[5]['gt_text_id'] == [5]


@pytest.mark.parametrize('config, options, pattern', [
    ('configs/quickstart/zeroshot_synthetic.py', [], r'zeroshot/region_top1: [\d.]+.*zeroshot/mask_top1: [\d.]+'),
    ('configs/quickstart/zeroshot_retrieval_synthetic.py', ['test_evaluator.topk=[1,5]'],  # 6 images
     r'i2t/retrieval/Recall@1: [\d.]+.*t2i/retrieval/Recall@5'),
])
def test_quickstart_configs_run(toy, tmp_path, config, options, pattern):
    """tools/test.py with a random toy-tower checkpoint (built from the config) on the tiny toy world."""
    from mmengine.config import Config

    from umgclip_mm.registry import MODELS
    cfg = Config.fromfile(config)
    torch.manual_seed(0)
    clip = MODELS.build(cfg.model.clip)
    ckpt = tmp_path / 'toy.pth'
    torch.save(dict(state_dict=clip.state_dict()), ckpt)
    proc = run_tool('tools/test.py', config, str(ckpt), '--work-dir', str(tmp_path / 'work'), '--cfg-options',
                    f'test_dataloader.dataset.data_root={toy}', 'test_dataloader.batch_size=4', *options)
    assert re.search(pattern, proc.stdout + proc.stderr), proc.stdout[-2000:]
