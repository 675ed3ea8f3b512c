"""The JSON fields of an open-vocabulary prediction, one schema per task (``docs/inference.md``): the detections of
``pred_instances``, the segments of ``pred_panoptic_seg``, the classes present in ``pred_sem_seg``."""
from typing import List, Sequence

import numpy as np
import torch


def _numpy(x) -> np.ndarray:
    return x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)


def detections_of(instances, names: Sequence[str], score_thr: float) -> List[dict]:
    """The detections of ``pred_instances`` scoring at least ``score_thr``, best first: ``name``, ``label``,
    ``score``, ``bbox`` (COCO's ``x, y, width, height``), ``box`` (``x1, y1, x2, y2``; original-image pixels) and,
    with a mask head, ``mask_area`` (pixels)."""
    scores = _numpy(instances.scores).astype(np.float64)
    keep = np.nonzero(scores >= score_thr)[0]
    keep = keep[np.argsort(-scores[keep], kind='stable')]
    boxes = _numpy(instances.bboxes)[keep]
    labels = _numpy(instances.labels)[keep]
    areas = _numpy(instances.masks)[keep].reshape(len(keep), -1).astype(bool).sum(1) if 'masks' in instances else None
    out = []
    for i in range(len(keep)):
        x1, y1, x2, y2 = (float(v) for v in boxes[i])
        det = dict(name=names[int(labels[i])], label=int(labels[i]), score=round(float(scores[keep[i]]), 4),
                   bbox=[round(x1, 1), round(y1, 1), round(x2 - x1, 1), round(y2 - y1, 1)],
                   box=[round(x1, 1), round(y1, 1), round(x2, 1), round(y2, 1)])
        if areas is not None:
            det['mask_area'] = int(areas[i])
        out.append(det)
    return out


def segments_of(pan: np.ndarray, names: Sequence[str], num_things: int) -> List[dict]:
    """The segments of a panoptic id map ``[H, W]`` (``label + instance * INSTANCE_OFFSET``; void:
    ``len(names)``), largest first: ``id``, ``label`` (the class name), ``category_id``, ``isthing``, ``area`` and
    ``bbox`` (COCO's ``x, y, width, height`` of the segment's pixels)."""
    from mmdet.evaluation.functional import INSTANCE_OFFSET
    out = []
    for seg_id in np.unique(pan):
        label = int(seg_id % INSTANCE_OFFSET)
        if label >= len(names):
            continue
        ys, xs = np.nonzero(pan == seg_id)
        out.append(dict(id=int(seg_id), label=names[label], category_id=label, isthing=label < num_things,
                        area=int(len(ys)), bbox=[int(xs.min()), int(ys.min()), int(xs.max() - xs.min()) + 1,
                                                 int(ys.max() - ys.min()) + 1]))
    return sorted(out, key=lambda s: (-s['area'], s['id']))


def class_shares(labels: np.ndarray, names: Sequence[str]) -> List[dict]:
    """Per class present in a label map ``[H, W]``, most pixels first: ``name``, ``label``, ``pixels`` and
    ``fraction``."""
    ids, counts = np.unique(labels, return_counts=True)
    total = int(labels.size)
    found = [(int(i), int(c)) for i, c in zip(ids, counts) if 0 <= i < len(names)]
    found.sort(key=lambda ic: (-ic[1], ic[0]))
    return [dict(name=names[i], label=i, pixels=c, fraction=round(c / total, 6)) for i, c in found]
