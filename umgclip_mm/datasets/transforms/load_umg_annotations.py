"""LoadUMGAnnotations: validated boxes and decoded masks, with their captions and tags, as InstanceData."""
from typing import Callable, List, Optional, Tuple

import numpy as np
from mmcv.transforms import BaseTransform
from mmengine.structures import InstanceData
from pycocotools import mask as mask_utils

from umgclip_mm.registry import TRANSFORMS
from ..skip_report import SKIPS


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


def loaded_instances(results: dict, key: str, who: str) -> Optional[InstanceData]:
    """``results[key]`` (``'regions'`` / ``'masks'``) as ``LoadUMGAnnotations`` left it, or None if absent.

    Raises:
        TypeError: naming ``who`` (the transform asking), if it is still the record's raw list.
    """
    value = results.get(key)
    if value is not None and not isinstance(value, InstanceData):
        raise TypeError(f'{who}: results["{key}"] is a {type(value).__name__}, not the InstanceData that '
                        'LoadUMGAnnotations makes; put LoadUMGAnnotations before it in the pipeline')
    return value


def check_polygon_coordinates(polygons: List[list], h: int, w: int) -> None:
    """Raise a ValueError unless every polygon coordinate is a finite number within one image size of the image
    (``-w <= x <= 2w``, ``-h <= y <= 2h``). pycocotools rasterises whatever it gets: a NaN or a coordinate of 1e9
    makes it allocate without bound or crash the worker, so nothing else must reach it."""
    for i, poly in enumerate(polygons):
        coords = np.asarray([c if isinstance(c, (int, float)) and not isinstance(c, bool) else np.nan for c in poly],
                            np.float64)
        xs, ys = coords[0::2], coords[1::2]
        if not np.isfinite(coords).all():
            raise ValueError(f'polygon {i} has a coordinate that is not a finite number')
        if xs.min() < -w or xs.max() > 2 * w or ys.min() < -h or ys.max() > 2 * h:
            raise ValueError(f'polygon {i} reaches ({xs.min():g}..{xs.max():g}, {ys.min():g}..{ys.max():g}), far '
                             f'outside the {w}x{h} image')


def decode_segmentation(seg, h: int, w: int) -> np.ndarray:
    """COCO RLE (compressed or not) or polygons -> ``[h, w]`` uint8 bitmap. Raises ValueError if malformed."""
    if isinstance(seg, dict):
        if 'counts' not in seg or 'size' not in seg:
            raise ValueError('an RLE needs "size" and "counts"')
        if list(seg['size']) != [h, w]:
            raise ValueError(f"RLE size {seg['size']} is not the image's [{h}, {w}]")
        rle = dict(seg)
        if isinstance(rle['counts'], list):
            total = sum(rle['counts']) if all(isinstance(c, int) and c >= 0 for c in rle['counts']) else -1
            if total != h * w:
                raise ValueError(f'uncompressed RLE counts must be non-negative and sum to {h * w}')
            rle = mask_utils.frPyObjects(rle, h, w)
        elif isinstance(rle['counts'], str):
            rle['counts'] = rle['counts'].encode('ascii')
        else:
            raise ValueError(f"RLE counts must be a string or a list, got {type(rle['counts']).__name__}")
        m = mask_utils.decode(rle)
        # pycocotools decodes some malformed strings (truncated, empty) from uninitialised memory instead of
        # failing: such a decode has values above 1 or disagrees with the RLE's own area.
        if m.max() > 1 or int(mask_utils.area(rle)) != int(m.sum()):
            raise ValueError('RLE counts are malformed (truncated or corrupt)')
    elif isinstance(seg, list) and seg and all(isinstance(p, list) and len(p) >= 6 and len(p) % 2 == 0
                                               for p in seg):
        check_polygon_coordinates(seg, h, w)
        m = mask_utils.decode(mask_utils.merge(mask_utils.frPyObjects(seg, h, w)))
    else:
        raise ValueError('segmentation is neither an RLE dict nor a list of polygons of >= 3 points')
    return np.ascontiguousarray(m, dtype=np.uint8)


@TRANSFORMS.register_module()
class LoadUMGAnnotations(BaseTransform):
    """Turn a record's ``regions`` and ``masks`` lists into ``InstanceData``, dropping (and logging) invalid items.

    ``results['regions']`` becomes ``InstanceData(bboxes=float32 [K, 4] xyxy clipped to the image, captions=K lists
    of str, tags=K lists of str)`` and ``results['masks']`` becomes ``InstanceData(masks=uint8 [M, H, W],
    captions=..., tags=...)``: each item's geometry, captions and tags travel together, so later transforms select
    items with ``instances[keep]``. A record without ``regions`` / ``masks`` (or with the level turned off) gets an
    empty ``InstanceData`` of the same fields. The image-level ``captions`` / ``tags`` are cleaned in place. A box
    with non-finite coordinates, entirely outside the image or of (near) zero area after clipping, a malformed RLE
    or polygon, an empty mask, and an item with neither a caption nor a tag are dropped; the image is kept.

    Args:
        with_regions (bool): Load ``regions``.
        with_masks (bool): Load ``masks``.
        min_box_size (float): Boxes narrower or shorter than this (pixels, after clipping) are dropped.
    """

    def __init__(self, with_regions: bool = True, with_masks: bool = True, min_box_size: float = 1.0):
        self.with_regions = with_regions
        self.with_masks = with_masks
        self.min_box_size = min_box_size

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

    @staticmethod
    def _mask(item, h: int, w: int) -> np.ndarray:
        """The decoded bitmap of a mask item. Raises ValueError saying why it is unusable."""
        if 'segmentation' not in item:
            raise ValueError('mask item has no "segmentation"')
        m = decode_segmentation(item['segmentation'], h, w)
        if not m.any():
            raise ValueError('mask is empty')
        return m

    def _load(self, results: dict, level: str, decode: Callable, h: int, w: int) -> Tuple[list, list, list]:
        """``(geometries, captions, tags)`` of the valid items of ``results[level + 's']``; the rest are logged."""
        geometry, captions, tags = [], [], []
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
            except Exception as err:  # pycocotools raises assorted errors on malformed input
                SKIPS(f'bad {level}', results.get('source', '?'), f'{level} {i}: {err}')
                continue
            geometry.append(g)
            captions.append(caps)
            tags.append(item_tags)
        return geometry, captions, tags

    def transform(self, results: dict) -> dict:
        h, w = results['img_shape'] if 'img_shape' in results else (results['height'], results['width'])
        source = results.get('source', '?')
        results['captions'] = clean_texts(results.get('captions'), source, 'image captions')
        results['tags'] = clean_texts(results.get('tags'), source, 'image tags')
        boxes, captions, tags = self._load(results, 'region', self._region, h, w)
        results['regions'] = InstanceData(bboxes=np.asarray(boxes, np.float32).reshape(-1, 4), captions=captions,
                                          tags=tags)
        masks, captions, tags = self._load(results, 'mask', self._mask, h, w)
        results['masks'] = InstanceData(masks=np.stack(masks) if masks else np.zeros((0, h, w), np.uint8),
                                        captions=captions, tags=tags)
        return results
