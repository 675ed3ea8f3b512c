"""LoadUMGAnnotations: validated boxes and masks (run lengths or decoded), with their captions and tags, as
InstanceData."""
from typing import Callable, List, Tuple, Union

import numpy as np
from mmcv.transforms import BaseTransform
from mmengine.structures import InstanceData

from umgclip_mm.registry import TRANSFORMS
from ..skip_report import SKIPS
from .coco_segmentation import decode_segmentation, segmentation_source
from .rle_masks import RLEMasks, rle_runs


def clean_texts(values, source: str = '?', where: str = '') -> List[str]:
    """The non-empty strings of a captions/tags list (stripped); what is dropped (empty or non-string entries, or a
    value that is not a list) is logged as ``'empty text'`` with ``source`` (shard:line) and ``where``."""
    if values is None:
        return []
    kept = [v.strip() for v in values if isinstance(v, str) and v.strip()] if isinstance(values, list) else []
    dropped = len(values) - len(kept) if isinstance(values, list) else 1
    if dropped:
        SKIPS('empty text', source, f'{where}: {dropped} empty or non-string entr{"y" if dropped == 1 else "ies"} '
              f'dropped')
    return kept


@TRANSFORMS.register_module()
class LoadUMGAnnotations(BaseTransform):
    """Turn a record's ``regions`` and ``masks`` lists into ``InstanceData``, dropping (and logging) invalid items.

    ``results['regions']`` becomes ``InstanceData(bboxes=float32 [K, 4] xyxy clipped to the image, captions=K lists
    of str, tags=K lists of str)`` and ``results['masks']`` becomes ``InstanceData(masks=uint8 [M, H, W] (or the
    RLEMasks that reads as it), captions=..., tags=...)``: each item's geometry, captions and tags travel together,
    so later transforms select items with ``instances[keep]``. A record without ``regions`` / ``masks`` (or with the
    level turned off) gets an empty ``InstanceData`` of the same fields. The image-level ``captions`` / ``tags``
    are cleaned in place. A box with non-finite coordinates, entirely outside the image or of (near) zero area
    after clipping, a malformed RLE or polygon, an empty mask, and an item with neither a caption nor a tag are
    dropped; the image is kept.

    With ``lazy_masks`` (the default) the masks are an :class:`RLEMasks`: their run lengths, checked here, read as
    the same uint8 ``[M, H, W]`` array when anything reads them, but ``UMGRandomResizedCrop`` counts them and
    resizes the crop of those that survive it from the runs, never decoding a full mask: the same samples, with
    several times less work per mask (``tools/analysis/benchmark_datapath.py``).

    Args:
        with_regions (bool): Load ``regions``.
        with_masks (bool): Load ``masks``.
        min_box_size (float): Boxes narrower or shorter than this (pixels, after clipping) are dropped.
        lazy_masks (bool): Keep masks as run lengths (:class:`RLEMasks`) instead of decoding them into a dense
            array here.
    """

    def __init__(self, with_regions: bool = True, with_masks: bool = True, min_box_size: float = 1.0,
                 lazy_masks: bool = True):
        self.with_regions = with_regions
        self.with_masks = with_masks
        self.min_box_size = min_box_size
        self.lazy_masks = lazy_masks

    def _region(self, item, h: int, w: int) -> List[float]:
        """The clipped box of a region item. Raises ValueError saying why it is unusable."""
        box = item.get('bbox')
        if not (isinstance(box, list) and len(box) == 4 and all(isinstance(v, (int, float)) for v in box)):
            raise ValueError(f'bbox must be [x1, y1, x2, y2], got {box!r}')
        if not np.all(np.isfinite(box)):
            raise ValueError(f'bbox {box} is not finite')
        x1, y1, x2, y2 = (min(max(box[0], 0), w), min(max(box[1], 0), h), min(max(box[2], 0), w),
                          min(max(box[3], 0), h))
        if x2 - x1 < self.min_box_size or y2 - y1 < self.min_box_size:
            raise ValueError(f'bbox {box} is outside the {w}x{h} image or of zero area')
        return [x1, y1, x2, y2]

    def _mask(self, item, h: int, w: int) -> Union[bytes, np.ndarray]:
        """The decoded bitmap of a mask item, or with ``lazy_masks`` what :func:`rle_runs` reads (the checks of the
        runs follow in :meth:`_runs`). Raises ValueError saying why it is unusable."""
        if 'segmentation' not in item:
            raise ValueError('mask item has no "segmentation"')
        if self.lazy_masks:
            return segmentation_source(item['segmentation'], h, w)
        m = decode_segmentation(item['segmentation'], h, w)
        if not m.any():
            raise ValueError('mask is empty')
        return m

    def _load(self, results: dict, level: str, decode: Callable, h: int, w: int) -> Tuple[list, list, list, list]:
        """``(indices, geometries, captions, tags)`` of the valid items of ``results[level + 's']``; the rest are
        logged."""
        index, geometry, captions, tags = [], [], [], []
        items = results.get(f'{level}s') if (self.with_regions if level == 'region' else self.with_masks) else None
        for i, item in enumerate(items if isinstance(items, list) else []):
            try:
                if not isinstance(item, dict):
                    raise ValueError(f'a {level} must be a JSON object, got {type(item).__name__}')
                g = decode(item, h, w)
                source = results.get('source', '?')
                caps = clean_texts(item.get('captions'), source, f'{level} {i} captions')
                item_tags = clean_texts(item.get('tags'), source, f'{level} {i} tags')
                if not caps and not item_tags:
                    raise ValueError(f'{level} has no caption and no tag')
            except (ValueError, TypeError, OverflowError) as err:  # malformed item (our checks; pycocotools')
                SKIPS(f'bad {level}', results.get('source', '?'), f'{level} {i}: {err}')
                continue
            index.append(i)
            geometry.append(g)
            captions.append(caps)
            tags.append(item_tags)
        return index, geometry, captions, tags

    @staticmethod
    def _runs(results: dict, index: list, sources: list, h: int, w: int) -> List[bool]:
        """Parse the masks' sources into run lengths in place; False where they are malformed or empty (logged)."""
        ok = []
        for k, runs in enumerate(rle_runs(sources, h * w)):
            reason = ('RLE counts are malformed (truncated or corrupt)' if runs is None else
                      'mask is empty' if not runs[1::2].any() else None)
            if reason:
                SKIPS('bad mask', results.get('source', '?'), f'mask {index[k]}: {reason}')
            sources[k] = runs
            ok.append(reason is None)
        return ok

    def transform(self, results: dict) -> dict:
        h, w = results['img_shape'] if 'img_shape' in results else (results['height'], results['width'])
        source = results.get('source', '?')
        results['captions'] = clean_texts(results.get('captions'), source, 'image captions')
        results['tags'] = clean_texts(results.get('tags'), source, 'image tags')
        _, boxes, captions, tags = self._load(results, 'region', self._region, h, w)
        results['regions'] = InstanceData(bboxes=np.asarray(boxes, np.float32).reshape(-1, 4), captions=captions,
                                          tags=tags)
        index, masks, captions, tags = self._load(results, 'mask', self._mask, h, w)
        if self.lazy_masks:
            ok = self._runs(results, index, masks, h, w)
            masks, captions, tags = ([v for v, keep in zip(values, ok) if keep] for values in (masks, captions, tags))
            masks = RLEMasks(masks, h, w)
        else:
            masks = np.stack(masks) if masks else np.zeros((0, h, w), np.uint8)
        results['masks'] = InstanceData(masks=masks, captions=captions, tags=tags)
        return results
