"""MultiGranularityRetrievalMetric: text retrieval accuracy of image, region and mask embeddings."""
from typing import Dict, List, Sequence

import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log

from umgclip_mm.registry import METRICS


@METRICS.register_module()
class MultiGranularityRetrievalMetric(BaseMetric):
    """For every image, region and mask of the evaluation set with a caption, rank all DISTINCT captions of that
    level in the whole set by similarity to its embedding; report top-1 / top-5 accuracy and chance (``1 / number
    of distinct captions``) per level. Reads the embeddings that ``UMGCLIP.predict`` sets.

    Args:
        levels (Sequence[str]): Any of ``'image'``, ``'region'``, ``'mask'``.
        collect_device (str): Where results are gathered across ranks.
        prefix (str, optional): Metric name prefix.
    """

    default_prefix = 'retrieval'

    def __init__(self, levels: Sequence[str] = ('image', 'region', 'mask'), collect_device: str = 'cpu',
                 prefix=None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.levels = tuple(levels)

    def process(self, data_batch, data_samples: Sequence) -> None:
        # One result per sample: mmengine cuts the gathered results to the data set's length.
        for sample in data_samples:
            get = sample.get if hasattr(sample, 'get') else sample.__getitem__
            rows = []
            for level in self.levels:
                if level == 'image':
                    caps, embeds, texts = [get('caption')], get('img_embed')[None], get('text_embed')[None]
                else:
                    embeds = get(f'{level}_embeds')
                    if embeds is None:
                        continue
                    caps, texts = get(f'{level}_caption'), get(f'{level}_text_embeds')
                for cap, emb, txt in zip(caps, embeds, texts):
                    if cap:
                        rows.append((level, cap, emb.detach().cpu(), txt.detach().cpu()))
            self.results.append(rows)

    def compute_metrics(self, results: List) -> Dict[str, float]:
        metrics = {}
        for level in self.levels:
            rows = [r for sample_rows in results for r in sample_rows if r[0] == level]
            if not rows:
                continue
            captions = list(dict.fromkeys(r[1] for r in rows))
            index = {c: i for i, c in enumerate(captions)}
            text = torch.stack([next(r[3] for r in rows if r[1] == c) for c in captions])
            emb = torch.stack([r[2] for r in rows])
            target = torch.tensor([index[r[1]] for r in rows])
            ranks = (emb @ text.t()).argsort(dim=1, descending=True)
            hit = ranks == target[:, None]
            metrics[f'{level}_top1'] = 100.0 * hit[:, :1].any(1).float().mean().item()
            metrics[f'{level}_top5'] = 100.0 * hit[:, :5].any(1).float().mean().item()
            metrics[f'{level}_chance'] = 100.0 / len(captions)
            print_log(f'{level}-text retrieval over {len(rows)} {level}s and {len(captions)} distinct captions: '
                      f"top-1 {metrics[f'{level}_top1']:.1f}%, top-5 {metrics[f'{level}_top5']:.1f}% "
                      f"(chance {metrics[f'{level}_chance']:.1f}%)", logger='current')
        return metrics
