"""OVIoUMetric: mmseg's mIoU, also over the classes seen and unseen in training, and their harmonic mean."""
from typing import Dict, Sequence, Union

import numpy as np
from mmengine.logging import MMLogger
from mmseg.evaluation.metrics import IoUMetric

from umgclip_mm.registry import METRICS
from umgclip_mm.vocabulary import name_key, read_class_file


@METRICS.register_module()
class OVIoUMetric(IoUMetric):
    """mmseg's ``IoUMetric`` (``aAcc``, ``mIoU``, ``mAcc``, ... over all classes) plus the mean IoU over the classes
    seen in training (``mIoU_seen``), over the unseen ones (``mIoU_unseen``) and their harmonic mean (``hIoU``),
    the figures of the generalised zero-shot segmentation protocol.

    A class whose union of prediction and ground truth is empty (absent from both) has no IoU (nan) and is left out
    of every mean, as mmseg leaves it out of ``mIoU``; a class predicted but absent from the ground truth counts
    with IoU 0. Values are percentages rounded to two decimals, as mmseg's. ``hIoU`` needs both means; a split
    with no IoU at all is left out (with a warning).

    Args:
        unseen_classes (Sequence[str] | str): Names of the unseen classes (as in the data set's
            ``metainfo['classes']``; compared by first name, case-insensitive), or a file with one per line. Each
            must be a class of the evaluated data set. Empty: the seen/unseen keys are not reported.
        **kwargs: What ``mmseg.IoUMetric`` takes (``ignore_index`` (65535 for the 16-bit ADE-847 / PC-459 labels),
            ``iou_metrics``, ``nan_to_num``, ``prefix``, ...).
    """

    def __init__(self, unseen_classes: Union[Sequence[str], str] = (), **kwargs) -> None:
        super().__init__(**kwargs)
        if isinstance(unseen_classes, str):
            unseen_classes = read_class_file(unseen_classes)
        self.unseen_classes = {name_key(c) for c in unseen_classes}  # read by VocabularyCheckHook

    def split_masks(self) -> np.ndarray:
        """Per class of ``dataset_meta['classes']``, whether it is unseen.

        Raises:
            ValueError: An unseen class is not a class of the data set (names the first, and the data set's).
        """
        classes = list(self.dataset_meta['classes'])
        keys = [name_key(c) for c in classes]
        strangers = sorted(self.unseen_classes - set(keys))
        if strangers:
            raise ValueError(f'OVIoUMetric: unseen_classes names {strangers[0]!r}, which is not a class of the '
                             f'evaluated data set ({len(classes)} classes: {", ".join(classes[:8])}'
                             f'{", ..." if len(classes) > 8 else ""}); spell unseen_classes as its metainfo classes')
        return np.array([k in self.unseen_classes for k in keys], bool)

    def compute_metrics(self, results: list) -> Dict[str, float]:
        unseen = self.split_masks() if self.unseen_classes else None  # fail before the long table
        metrics = super().compute_metrics(results)
        if unseen is None or self.format_only:
            return metrics
        intersect = sum(r[0] for r in results).numpy().astype(np.float64)
        union = sum(r[1] for r in results).numpy().astype(np.float64)
        with np.errstate(divide='ignore', invalid='ignore'):
            iou = intersect / union  # nan where the class is absent from prediction and ground truth
        logger = MMLogger.get_current_instance()
        means = {}
        for split, mask in (('seen', ~unseen), ('unseen', unseen)):
            values = iou[mask]
            values = values[~np.isnan(values)]
            if not values.size:
                logger.warning(f'OVIoUMetric: no {split} class occurs in the ground truth or the predictions: no '
                               f'mIoU_{split}')
                continue
            means[split] = float(values.mean()) * 100
            metrics[f'mIoU_{split}'] = round(means[split], 2)
            logger.info(f'mIoU over the {int(mask.sum())} {split} classes ({values.size} present): '
                        f'{means[split]:.2f}')
        if len(means) == 2:
            s, u = means['seen'], means['unseen']
            metrics['hIoU'] = round(2 * s * u / (s + u), 2) if s + u > 0 else 0.0
        return metrics
