"""MultiGranularityRetrievalMetric: text retrieval accuracy of image, region and mask embeddings."""
from typing import Any, Dict, List, Optional, Sequence, Union

import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log
from mmengine.structures import BaseDataElement

from umgclip_mm.registry import METRICS


@METRICS.register_module()
class MultiGranularityRetrievalMetric(BaseMetric):
    """For every image, region and mask of the evaluation set with a caption, rank all DISTINCT captions of that
    level in the whole set by similarity to its embedding; report top-1 / top-5 accuracy and chance (``1 / number
    of distinct captions``) per level. Reads the embeddings that ``UMGCLIP.predict`` sets: ``img_embed`` /
    ``text_embed`` on the sample, ``embeds`` / ``text_embeds`` beside ``caption`` in its ``regions`` and ``masks``.

    Args:
        levels (Sequence[str]): Any of ``'image'``, ``'region'``, ``'mask'``.
        collect_device (str): Where results are gathered across ranks.
        prefix (str, optional): Metric name prefix.
    """

    default_prefix = 'retrieval'

    def __init__(self, levels: Sequence[str] = ('image', 'region', 'mask'), collect_device: str = 'cpu',
                 prefix: Optional[str] = None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.levels = tuple(levels)

    def process(self, data_batch: Any, data_samples: Sequence[Union[dict, BaseDataElement]]) -> None:
        """Keep ``(level, caption, embedding, caption embedding)`` of every captioned image, region and mask.

        Reads the image's ``caption`` / ``img_embed`` / ``text_embed`` and, inside ``regions`` / ``masks``, each
        item's ``caption`` / ``embeds`` / ``text_embeds``. Samples come as data elements or as the dicts that
        mmengine's ``Evaluator`` makes of them (``to_dict``, nested InstanceData included).
        """
        # One result per sample: mmengine cuts the gathered results to the data set's length.
        for sample in data_samples:
            rows = []
            for level in self.levels:
                if level == 'image':
                    caps, embeds, texts = [sample.get('caption')], sample.get('img_embed')[None], \
                        sample.get('text_embed')[None]
                else:
                    instances = sample.get(f'{level}s')
                    embeds = None if instances is None else instances.get('embeds')
                    if embeds is None:
                        continue
                    caps, texts = instances.get('caption'), instances.get('text_embeds')
                for cap, emb, txt in zip(caps, embeds, texts):
                    if cap:
                        rows.append((level, cap, emb.detach().cpu(), txt.detach().cpu()))
            self.results.append(rows)

    def compute_metrics(self, results: List) -> Dict[str, float]:
        """``{level}_top1`` / ``_top5`` / ``_chance`` (percent) of every level with captioned items."""
        metrics = {}
        for level in self.levels:
            rows = [r for sample_rows in results for r in sample_rows if r[0] == level]
            if not rows:
                continue
            text_of = {}
            for r in rows:
                text_of.setdefault(r[1], r[3])
            captions = list(text_of)
            index = {c: i for i, c in enumerate(captions)}
            text = torch.stack(list(text_of.values()))
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
