"""ZeroShotRecognitionMetric: accuracy of zero-shot recognition of images, given boxes and given masks."""
from typing import Any, Dict, List, Optional, Sequence, Union

import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log

from umgclip_mm.registry import METRICS
from umgclip_mm.vocabulary import build_vocabulary, name_key
from .vocabulary_accuracy import fit_topk

PREDICTIONS = dict(image='pred_score', region='pred_regions', mask='pred_masks')
ITEMS = dict(region='regions', mask='masks')


def _get(obj: Any, key: str) -> Any:
    """A field of a data element or of the dict mmengine's Evaluator makes of it."""
    return obj.get(key) if obj is not None else None


@METRICS.register_module()
class ZeroShotRecognitionMetric(BaseMetric):
    """Top-k accuracy and mean per-class recall of :class:`ZeroShotClassifier`'s predictions, per level, with a
    per-class table in the log: ``{level}_top1``, ``{level}_top5``, ``{level}_mean_recall`` (percent) and
    ``{level}_count`` (items scored).

    Ground truth:

    - image: the sample's ``gt_label`` (mmpretrain); else, for a UMG-format sample, the one class of
      ``image_classes`` among its ``tags`` (images with none or several are left out and counted);
    - region / mask: mmdet's ``gt_instances.labels``; else, for the UMG format, per item of ``regions`` /
      ``masks`` the first of its ``tags`` that is a class (items with none are left out).

    Args:
        classes: The model's vocabulary (label order), any spec of
            :func:`~umgclip_mm.vocabulary.build_vocabulary`.
        levels (Sequence[str]): Any of ``'image'``, ``'region'``, ``'mask'``.
        image_classes (Sequence[str], optional): The classes an image can be labelled with (default: all); the
            image's prediction is the best of them.
        topk (Sequence[int]): Accuracies reported; a k above the number of classes is dropped (logged).
        per_class (bool): Also return each class's top-1 (``{level}_top1_{class}``), e.g. for
            ``tools/analysis/compare_region_recognition.py``.
        collect_device (str): Where results are gathered across ranks.
        prefix (str, optional): Metric name prefix.
    """

    default_prefix = 'zeroshot'

    def __init__(self, classes, levels: Sequence[str] = ('image', 'region', 'mask'),
                 image_classes: Optional[Sequence[str]] = None, topk: Sequence[int] = (1, 5),
                 per_class: bool = False, collect_device: str = 'cpu', prefix: Optional[str] = None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        vocab = build_vocabulary(classes)
        self.names = vocab.names
        self.index = {name_key(n): i for i, n in reversed(list(enumerate(self.names)))}
        unknown = [n for n in levels if n not in PREDICTIONS]
        if unknown:
            raise ValueError(f'ZeroShotRecognitionMetric: unknown levels {unknown}; use {tuple(PREDICTIONS)}')
        self.levels = tuple(levels)
        missing = [c for c in image_classes or () if name_key(c) not in self.index]
        if missing:
            raise ValueError(f'ZeroShotRecognitionMetric: image_classes {missing} are not in classes')
        self.image_classes = None if image_classes is None else sorted({self.index[name_key(c)]
                                                                        for c in image_classes})
        self.topk = fit_topk(tuple(topk), len(self.names), type(self).__name__, 'classes')
        self.per_class = per_class

    def _label(self, tags: Sequence[str]) -> Optional[int]:
        for tag in tags or ():
            if name_key(tag) in self.index:
                return self.index[name_key(tag)]
        return None

    def _image_label(self, sample: Any) -> Optional[int]:
        gt = _get(sample, 'gt_label')
        if gt is not None:
            return int(torch.as_tensor(gt).reshape(-1)[0])
        allowed = set(self.image_classes) if self.image_classes is not None else set(range(len(self.names)))
        found = {self.index[name_key(t)] for t in _get(sample, 'tags') or () if name_key(t) in self.index}
        found &= allowed
        return found.pop() if len(found) == 1 else None

    def _item_labels(self, sample: Any, level: str) -> List[Optional[int]]:
        gt = _get(_get(sample, 'gt_instances'), 'labels')
        if gt is not None:
            return [int(v) for v in gt]
        return [self._label(t) for t in _get(_get(sample, ITEMS[level]), 'tags') or []]

    def process(self, data_batch: Any, data_samples: Sequence[Union[dict, Any]]) -> None:
        """Keep ``(level, label, scores)`` of every scored image, box and mask with a ground-truth class (``None``
        as label: an image without a single class, counted as left out)."""
        for sample in data_samples:
            rows = []
            for level in self.levels:
                pred = _get(sample, PREDICTIONS[level])
                if pred is None:
                    continue
                if level == 'image':
                    scores = torch.as_tensor(pred).detach().cpu()
                    if self.image_classes is not None:  # the best of the classes an image can have
                        keep = torch.full_like(scores, float('-inf'))
                        keep[self.image_classes] = scores[self.image_classes]
                        scores = keep
                    rows.append((level, self._image_label(sample), scores))
                    continue
                for label, scores in zip(self._item_labels(sample, level), _get(pred, 'scores').detach().cpu()):
                    if label is not None:
                        rows.append((level, label, scores))
            self.results.append(rows)

    def compute_metrics(self, results: List) -> Dict[str, float]:
        """Per level: top-k accuracy, mean per-class recall (over the classes that occur) and the count."""
        metrics, lines = {}, []
        rows = [row for rows in results for row in rows]
        for level in self.levels:
            scored = [(label, s) for lv, label, s in rows if lv == level and label is not None]
            left_out = sum(1 for lv, label, _ in rows if lv == level and label is None)
            if not scored:
                continue
            labels = torch.tensor([label for label, _ in scored])
            scores = torch.stack([s for _, s in scored])
            ranked = scores.topk(min(max(self.topk), scores.shape[1]), dim=1).indices
            hits = ranked == labels[:, None]
            for k in self.topk:
                metrics[f'{level}_top{k}'] = 100.0 * hits[:, :k].any(1).float().mean().item()
            top1 = hits[:, 0].float()
            present = labels.unique()
            recalls = {int(c): 100.0 * top1[labels == c].mean().item() for c in present}
            metrics[f'{level}_mean_recall'] = sum(recalls.values()) / len(recalls)
            metrics[f'{level}_count'] = float(len(scored))
            if self.per_class:
                metrics.update({f'{level}_top1_{self.names[c]}': r for c, r in recalls.items()})
            table = ', '.join(f'{self.names[c]} {r:.1f} ({int((labels == c).sum())})' for c, r in recalls.items())
            lines.append(f'{level}: top-1 per class (count): {table}' +
                         (f'; {left_out} left out (no single class)' if left_out else ''))
        if lines:
            print_log('zero-shot recognition\n' + '\n'.join(lines), logger='current')
        return metrics
