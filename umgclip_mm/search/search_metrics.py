"""Search quality on captioned data: text -> region / mask recall@k over an index, and phrase grounding accuracy."""
from typing import Dict, List, Sequence, Tuple

import numpy as np

from .collection import to_rle
from .search_index import SearchIndex, rle_box


def box_iou(a: Sequence[float], b: np.ndarray) -> np.ndarray:
    """IoU of box ``a`` (xyxy) with boxes ``b`` ``[N, 4]`` (mmdet's ``bbox_overlaps``)."""
    from mmdet.evaluation.functional import bbox_overlaps
    b = np.asarray(b, np.float32).reshape(-1, 4)
    return bbox_overlaps(np.asarray(a, np.float32).reshape(1, 4), b)[0] if len(b) else np.zeros(0, np.float32)


def read_captioned_items(path: str) -> Dict[str, Dict[str, List[Tuple[List[float], List[str]]]]]:
    """The captioned boxes and masks of a UMG JSON-lines file: ``{key: {'region': [(box, captions)], 'mask':
    [(box of the mask, captions)]}}`` (boxes xyxy)."""
    from umgclip_mm.datasets.umg_dataset import parse_record
    out = {}
    with open(path, 'rb') as f:
        for line in f:
            if not line.strip():
                continue
            rec = parse_record(line)
            regions = [(r['bbox'], [c for c in r.get('captions', []) if c]) for r in rec.get('regions', [])]
            masks = [(rle_box(to_rle(m['segmentation'], rec['height'], rec['width'], path)),
                      [c for c in m.get('captions', []) if c]) for m in rec.get('masks', [])]
            out[rec['image']] = dict(region=regions, mask=masks)
    return out


def text_to_item_recall(index: SearchIndex, truth: dict, level: str, ks: Sequence[int] = (1, 5, 10),
                        iou_thr: float = 0.5) -> Dict[str, float]:
    """Recall@k (percent) of text -> ``level`` (``'region'`` or ``'mask'``) search over the whole index.

    The queries are the distinct captions of the items of ``level`` in ``truth``; a query's positives are all the
    items that carry its caption (the same words describe the same kind of thing in several images). A query is
    found at rank ``r`` if the ``r``-th hit lies in a positive's image with box IoU >= ``iou_thr`` to it (a mask
    hit: its bounding box).
    """
    positives: Dict[str, List[Tuple[str, List[float]]]] = {}
    for key, items in truth.items():
        for box, caps in items[level]:
            for c in dict.fromkeys(caps):
                positives.setdefault(c, []).append((key, box))
    if not positives:
        return {}
    texts = list(positives)
    queries = index._need_embedder().encode_text(texts)
    found = np.zeros((len(texts), max(ks)), bool)
    for q, text in enumerate(texts):
        by_key: Dict[str, List[List[float]]] = {}
        for key, box in positives[text]:
            by_key.setdefault(key, []).append(box)
        for r, hit in enumerate(index.search(queries[q], level, max(ks))):
            boxes = by_key.get(hit.key)
            if boxes is not None and (box_iou(hit.box, np.asarray(boxes)) >= iou_thr).any():
                found[q, r:] = True
                break
    return {f'{level}_R@{k}': float(100 * found[:, k - 1].mean()) for k in ks}


def grounding_accuracy(index: SearchIndex, truth: dict, level: str = 'region', iou_thr: float = 0.5) -> float:
    """Top-1 phrase grounding accuracy (percent): for every captioned item of ``level`` in every indexed image, its
    first caption is grounded among that image's indexed items of ``level``; correct if the best one's box has IoU
    >= ``iou_thr`` with the item's box."""
    embedder = index._need_embedder()
    correct = total = 0
    for image_id in range(len(index)):
        items = index.image_items(image_id)
        key = items['record']['key']
        captioned = [(box, caps[0]) for box, caps in truth.get(key, {}).get(level, []) if caps]
        if not captioned or not len(items[level]):
            total += len(captioned)
            continue
        rec = items['record']
        boxes = np.asarray(rec['boxes'] if level == 'region' else [rle_box(m) for m in rec['masks']], np.float32)
        scores = embedder.encode_text([c for _, c in captioned]) @ items[level].T
        for (box, _), row in zip(captioned, scores):
            correct += int(box_iou(box, boxes[int(np.argmax(row))][None])[0] >= iou_thr)
            total += 1
    return float(100 * correct / max(total, 1))


def evaluate_index(index: SearchIndex, truth: dict, ks: Sequence[int] = (1, 5, 10),
                   iou_thr: float = 0.5) -> Dict[str, float]:
    """Region- and mask-level recall@k of text search and grounding accuracy at both levels, in percent."""
    out = {}
    for level in ('region', 'mask'):
        if index.manifest['levels'].get(level, {}).get('count'):
            out.update(text_to_item_recall(index, truth, level, ks, iou_thr))
            out[f'{level}_grounding'] = grounding_accuracy(index, truth, level, iou_thr)
    return out

