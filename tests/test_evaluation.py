"""MultiGranularityRetrievalMetric against hand-made embeddings."""
import torch
from mmengine.structures import BaseDataElement

from umgclip_mm.evaluation import MultiGranularityRetrievalMetric


def test_retrieval_accuracy_and_chance():
    e = torch.eye(4)
    samples = [
        BaseDataElement(caption='a', img_embed=e[0], text_embed=e[0], region_caption=['r1', 'r2', ''],
                        region_embeds=torch.stack([e[1], e[1], e[3]]),
                        region_text_embeds=torch.stack([e[1], e[2], torch.zeros(4)])),
        BaseDataElement(caption='b', img_embed=e[0], text_embed=e[1], region_caption=['r1'],
                        region_embeds=e[1:2], region_text_embeds=e[1:2]),
    ]
    metric = MultiGranularityRetrievalMetric(levels=('image', 'region'))
    metric.process(None, samples)
    assert len(metric.results) == 2  # one result per sample: mmengine cuts results to the data set's length
    out = metric.compute_metrics(metric.results)
    assert out['image_top1'] == 50.0 and out['image_chance'] == 50.0  # image 2 points at caption 'a'
    # regions: r1 -> r1 (hit), r2 -> r1 (miss), r1 -> r1 (hit); the caption-less region is not counted
    assert abs(out['region_top1'] - 200 / 3) < 1e-4 and out['region_top5'] == 100.0
    assert out['region_chance'] == 50.0
