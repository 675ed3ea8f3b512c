"""MultiGranularityRetrievalMetric against hand-made embeddings, and fed by UMGCLIP.predict through mmengine."""
import torch
from mmengine.dataset import pseudo_collate
from mmengine.evaluator import Evaluator
from mmengine.structures import BaseDataElement, InstanceData

from umgclip_mm.datasets import UMGDataset
from umgclip_mm.datasets.toy_world import generate
from umgclip_mm.evaluation import MultiGranularityRetrievalMetric
from umgclip_mm.registry import MODELS


def hand_made():
    e = torch.eye(4)
    return [
        BaseDataElement(caption='a', img_embed=e[0], text_embed=e[0],
                        regions=InstanceData(caption=['r1', 'r2', ''], embeds=torch.stack([e[1], e[1], e[3]]),
                                             text_embeds=torch.stack([e[1], e[2], torch.zeros(4)]))),
        BaseDataElement(caption='b', img_embed=e[0], text_embed=e[1],
                        regions=InstanceData(caption=['r1'], embeds=e[1:2], text_embeds=e[1:2])),
    ]


def check(out):
    assert out['image_top1'] == 50.0 and out['image_chance'] == 50.0  # image 2 points at caption 'a'
    # regions: r1 -> r1 (hit), r2 -> r1 (miss), r1 -> r1 (hit); the caption-less region is not counted
    assert abs(out['region_top1'] - 200 / 3) < 1e-4 and out['region_top5'] == 100.0
    assert out['region_chance'] == 50.0


def test_retrieval_accuracy_and_chance():
    metric = MultiGranularityRetrievalMetric(levels=('image', 'region'))
    metric.process(None, hand_made())
    assert len(metric.results) == 2  # one result per sample: mmengine cuts results to the data set's length
    check(metric.compute_metrics(metric.results))


def test_through_mmengine_evaluator_which_passes_dicts():
    evaluator = Evaluator(MultiGranularityRetrievalMetric(levels=('image', 'region', 'mask')))
    evaluator.process(hand_made())  # the Evaluator hands the metric ``to_dict()`` of each sample
    out = evaluator.evaluate(2)
    check({k.split('/')[-1]: v for k, v in out.items()})
    assert not any('mask' in k for k in out)  # no mask embeddings: the level is left out


def test_toy_scenes_from_loading_to_metric(tmp_path, tiny_model_cfg):
    """Records -> transforms -> InstanceData samples -> UMGCLIP.val_step -> the metric, as the runner does it."""
    generate(str(tmp_path), num_train=0, num_val=4, size=48)
    pipeline = [dict(type='umgclip_mm.LoadUMGImage'), dict(type='umgclip_mm.LoadUMGAnnotations'),
                dict(type='umgclip_mm.UMGRandomResizedCrop', size=32, random=False),
                dict(type='umgclip_mm.SampleCaptions', random=False), dict(type='umgclip_mm.PackUMGInputs')]
    ds = UMGDataset('umg/val.jsonl', data_root=str(tmp_path), pipeline=pipeline, test_mode=True)
    model = MODELS.build(tiny_model_cfg).eval()
    batch = pseudo_collate([ds[i] for i in range(len(ds))])
    train_losses = model(**model.data_preprocessor(batch, training=True), mode='loss')
    assert all(float(train_losses[f'loss_{lv}_caption']) > 0 for lv in ('image', 'region', 'mask'))
    outputs = model.val_step(batch)
    assert all(len(s.regions.embeds) == len(s.regions.bboxes) == len(s.regions.caption) for s in outputs)
    evaluator = Evaluator(MultiGranularityRetrievalMetric())
    evaluator.process(outputs, batch)
    out = evaluator.evaluate(len(ds))
    n_masks = sum(len(s.masks) for s in outputs)
    assert n_masks > 0 and out['retrieval/mask_chance'] >= 100.0 / n_masks
    assert {f'retrieval/{lv}_top1' for lv in ('image', 'region', 'mask')} <= set(out)


def test_panoptic_metric_leaves_the_prediction_as_it_was(monkeypatch):
    """mmdet's CocoPanopticMetric writes void (0) into the prediction in place (on CPU the model's own tensor, which
    the visualization hook draws next); OVCocoPanopticMetric hands it a copy."""
    from mmdet.evaluation.metrics import CocoPanopticMetric

    from umgclip_mm.evaluation.metrics import OVCocoPanopticMetric
    seen = []

    def rewriting_process(self, data_batch, data_samples):
        for s in data_samples:
            s['pred_panoptic_seg']['sem_seg'][s['pred_panoptic_seg']['sem_seg'] == 13] = 0
            seen.append(s['pred_panoptic_seg']['sem_seg'])

    monkeypatch.setattr(CocoPanopticMetric, 'process', rewriting_process)
    metric = OVCocoPanopticMetric(unseen_classes=['star'])
    pan = torch.tensor([[[13, 1000], [2, 13]]])
    metric.process({}, [dict(pred_panoptic_seg=dict(sem_seg=pan))])
    assert seen and int((seen[0] == 0).sum()) == 2  # the metric saw void rewritten in its copy
    assert torch.equal(pan, torch.tensor([[[13, 1000], [2, 13]]]))  # the prediction did not change
