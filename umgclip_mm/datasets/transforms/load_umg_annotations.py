"""LoadUMGAnnotations: validated boxes and decoded masks, with their captions and tags."""
from typing import List, Tuple

import numpy as np
from mmcv.transforms import BaseTransform
from pycocotools import mask as mask_utils

from umgclip_mm.registry import TRANSFORMS
from ..skip_report import SKIPS


def clean_texts(values) -> List[str]:
    """The non-empty strings of a captions/tags list (stripped)."""
    if not isinstance(values, list):
        return []
    return [v.strip() for v in values if isinstance(v, str) and v.strip()]


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
        m = mask_utils.decode(mask_utils.merge(mask_utils.frPyObjects(seg, h, w)))
    else:
        raise ValueError('segmentation is neither an RLE dict nor a list of polygons of >= 3 points')
    return np.ascontiguousarray(m, dtype=np.uint8)


@TRANSFORMS.register_module()
class LoadUMGAnnotations(BaseTransform):
    """Turn a record's ``regions`` and ``masks`` into arrays, dropping (and logging) the invalid ones.

    Adds ``gt_bboxes`` (float32 ``[K, 4]`` xyxy, clipped to the image), ``region_captions`` / ``region_tags``
    (K lists of strings), ``gt_masks`` (uint8 ``[M, H, W]``), ``mask_captions`` / ``mask_tags``, and the cleaned
    image-level ``captions`` / ``tags``. A box with non-finite coordinates, entirely outside the image or of
    (near) zero area after clipping, a malformed RLE or polygon, an empty mask, and an item with neither a caption
    nor a tag are dropped; the image is kept.

    Args:
        with_regions (bool): Load ``regions``.
        with_masks (bool): Load ``masks``.
        min_box_size (float): Boxes narrower or shorter than this (pixels, after clipping) are dropped.
    """

    def __init__(self, with_regions: bool = True, with_masks: bool = True, min_box_size: float = 1.0):
        self.with_regions = with_regions
        self.with_masks = with_masks
        self.min_box_size = min_box_size

    def _texts(self, item: dict) -> Tuple[List[str], List[str]]:
        return clean_texts(item.get('captions')), clean_texts(item.get('tags'))

    def transform(self, results: dict) -> dict:
        h, w = results['img_shape'] if 'img_shape' in results else (results['height'], results['width'])
        source = results.get('source', '?')
        results['captions'] = clean_texts(results.get('captions'))
        results['tags'] = clean_texts(results.get('tags'))
        boxes, r_caps, r_tags = [], [], []
        for i, item in enumerate(results.get('regions', []) if self.with_regions else []):
            why = None
            box = item.get('bbox') if isinstance(item, dict) else None
            caps, tags = self._texts(item) if isinstance(item, dict) else ([], [])
            if not (isinstance(box, list) and len(box) == 4 and all(isinstance(v, (int, float)) for v in box)):
                why = f'bbox must be [x1, y1, x2, y2], got {box!r}'
            elif not np.all(np.isfinite(box)):
                why = f'bbox {box} is not finite'
            else:
                x1, y1, x2, y2 = min(max(box[0], 0), w), min(max(box[1], 0), h), min(max(box[2], 0), w), \
                    min(max(box[3], 0), h)
                if x2 - x1 < self.min_box_size or y2 - y1 < self.min_box_size:
                    why = f'bbox {box} is outside the {w}x{h} image or of zero area'
                elif not caps and not tags:
                    why = 'region has no caption and no tag'
            if why:
                SKIPS('bad region', source, f'region {i}: {why}')
                continue
            boxes.append([x1, y1, x2, y2])
            r_caps.append(caps)
            r_tags.append(tags)
        results['gt_bboxes'] = np.asarray(boxes, np.float32).reshape(-1, 4)
        results['region_captions'], results['region_tags'] = r_caps, r_tags

        masks, m_caps, m_tags = [], [], []
        for i, item in enumerate(results.get('masks', []) if self.with_masks else []):
            caps, tags = self._texts(item) if isinstance(item, dict) else ([], [])
            try:
                if not isinstance(item, dict) or 'segmentation' not in item:
                    raise ValueError('mask item has no "segmentation"')
                m = decode_segmentation(item['segmentation'], h, w)
                if not m.any():
                    raise ValueError('mask is empty')
                if not caps and not tags:
                    raise ValueError('mask has no caption and no tag')
            except Exception as err:  # pycocotools raises assorted errors on malformed input
                SKIPS('bad mask', source, f'mask {i}: {err}')
                continue
            masks.append(m)
            m_caps.append(caps)
            m_tags.append(tags)
        results['gt_masks'] = np.stack(masks) if masks else np.zeros((0, h, w), np.uint8)
        results['mask_captions'], results['mask_tags'] = m_caps, m_tags
        return results
