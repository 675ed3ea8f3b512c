"""UMGRandomResizedCrop: CLIP's random resized crop and a flip, applied to the image, its boxes and its masks."""
import math
from typing import Tuple, Union

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmengine.structures import InstanceData

from umgclip_mm.registry import TRANSFORMS
from .rle_masks import RLEMasks
from .umg_instances import loaded_instances


@TRANSFORMS.register_module()
class UMGRandomResizedCrop(BaseTransform):
    """Crop a random area and aspect ratio, resize it to ``size``, flip horizontally at random; keep annotations
    consistent and drop the boxes and masks mostly cropped away.

    ``results['regions']`` and ``results['masks']`` are the ``InstanceData`` of ``LoadUMGAnnotations``. A region is
    kept if at least ``min_visible`` of its box lies inside the crop (the box is then clipped to it); a mask if at
    least ``min_visible`` of its pixels do. Items are selected with ``instances[keep]``, so every field (captions,
    tags, ...) follows its box or mask; empty instances stay empty. With ``random=False`` (evaluation) the whole
    image is resized and nothing is flipped. Random draws, from numpy's global generator: the crop, then the
    flip.

    Args:
        size (int | tuple[int, int]): Output ``(h, w)``.
        scale (tuple[float, float]): Range of the crop's area over the image's (CLIP / open_clip: 0.9-1.0; lower
            values give more region-level variety).
        ratio (tuple[float, float]): Range of the crop's aspect ratio (w / h).
        flip_prob (float): Probability of a horizontal flip.
        min_visible (float): Fraction of a box or mask that must survive the crop.
        random (bool): Random crop and flip (training) or whole image (evaluation).
    """

    def __init__(self,
                 size: Union[int, Tuple[int, int]],
                 scale: Tuple[float, float] = (0.5, 1.0),
                 ratio: Tuple[float, float] = (3 / 4, 4 / 3),
                 flip_prob: float = 0.5,
                 min_visible: float = 0.3,
                 random: bool = True):
        self.size = (size, size) if isinstance(size, int) else tuple(size)
        self.scale, self.ratio = scale, ratio
        self.flip_prob = flip_prob
        self.min_visible = min_visible
        self.random = random

    def crop_params(self, h: int, w: int, rng) -> Tuple[int, int, int, int]:
        """``(y, x, ch, cw)`` of a crop, as torchvision's RandomResizedCrop draws it (10 tries, then centre)."""
        area = h * w
        log_ratio = (math.log(self.ratio[0]), math.log(self.ratio[1]))
        for _ in range(10):
            target = area * rng.uniform(*self.scale)
            ar = math.exp(rng.uniform(*log_ratio))
            cw, ch = int(round(math.sqrt(target * ar))), int(round(math.sqrt(target / ar)))
            if 0 < cw <= w and 0 < ch <= h:
                return int(rng.randint(0, h - ch + 1)), int(rng.randint(0, w - cw + 1)), ch, cw
        in_ratio = w / h
        if in_ratio < min(self.ratio):
            cw, ch = w, int(round(w / min(self.ratio)))
        elif in_ratio > max(self.ratio):
            ch, cw = h, int(round(h * max(self.ratio)))
        else:
            cw, ch = w, h
        return (h - ch) // 2, (w - cw) // 2, ch, cw

    def transform(self, results: dict) -> dict:
        img = results['img']
        h, w = img.shape[:2]
        rng = np.random  # the global generator, which mmengine seeds per worker (randomness=dict(seed=...))
        y, x, ch, cw = self.crop_params(h, w, rng) if self.random else (0, 0, h, w)
        flip = self.random and rng.random() < self.flip_prob
        oh, ow = self.size
        out = cv2.resize(img[y:y + ch, x:x + cw], (ow, oh), interpolation=cv2.INTER_CUBIC)
        results['img'] = cv2.flip(out, 1) if flip else out  # numpy's reversed copy is several times slower
        results['img_shape'] = (oh, ow)
        results['crop'] = (x, y, cw, ch)
        results['flip'] = flip
        regions = loaded_instances(results, 'regions', 'UMGRandomResizedCrop')
        if regions is not None:
            results['regions'] = self._crop_regions(regions, (x, y, cw, ch), flip)
        masks = loaded_instances(results, 'masks', 'UMGRandomResizedCrop')
        if masks is not None:
            results['masks'] = self._crop_masks(masks, (x, y, cw, ch), flip)
        return results

    def _crop_regions(self, regions: InstanceData, crop: Tuple[int, int, int, int], flip: bool) -> InstanceData:
        """The regions at least ``min_visible`` inside the crop, clipped to it, scaled to ``size`` and flipped."""
        x, y, cw, ch = crop
        oh, ow = self.size
        sx, sy = ow / cw, oh / ch
        boxes = regions.bboxes.astype(np.float32)
        area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
        clipped = np.stack([np.clip(boxes[:, 0] - x, 0, cw), np.clip(boxes[:, 1] - y, 0, ch),
                            np.clip(boxes[:, 2] - x, 0, cw), np.clip(boxes[:, 3] - y, 0, ch)], axis=1)
        vis = (clipped[:, 2] - clipped[:, 0]) * (clipped[:, 3] - clipped[:, 1])
        keep = (vis >= self.min_visible * np.maximum(area, 1e-6)) & (vis > 0)
        clipped = clipped[keep] * np.array([sx, sy, sx, sy], np.float32)
        if flip:
            clipped = np.stack([ow - clipped[:, 2], clipped[:, 1], ow - clipped[:, 0], clipped[:, 3]], axis=1)
        kept = regions[keep]
        kept.bboxes = clipped.reshape(-1, 4).astype(np.float32)
        return kept

    def _crop_masks(self, masks: InstanceData, crop: Tuple[int, int, int, int], flip: bool) -> InstanceData:
        """The masks with at least ``min_visible`` of their pixels inside the crop (and some left after the
        nearest-neighbour resize), cropped, resized to ``size`` and flipped. Masks kept as run lengths
        (``RLEMasks``) are counted, cropped and resized from their runs without decoding them; the output is the
        same as from dense bitmaps."""
        x, y, cw, ch = crop
        oh, ow = self.size
        bitmaps = masks.masks
        if isinstance(bitmaps, RLEMasks):
            full, vis = bitmaps.areas(), bitmaps.window_areas(x, y, cw, ch)
            candidates = np.flatnonzero((vis > 0) & (vis >= self.min_visible * full))
            resized = bitmaps.resized_windows(candidates, crop, self.size, flip)
        else:
            cropped = bitmaps[:, y:y + ch, x:x + cw]
            full, vis = bitmaps.sum((1, 2)), cropped.sum((1, 2))
            candidates = np.flatnonzero((vis > 0) & (vis >= self.min_visible * full))
            resized = np.zeros((len(candidates), oh, ow), np.uint8)
            for k, i in enumerate(candidates):
                resized[k] = cv2.resize(cropped[i], (ow, oh), interpolation=cv2.INTER_NEAREST)
            resized = resized[:, :, ::-1] if flip else resized
        nonempty = resized.any((1, 2))  # a sliver can vanish in the nearest-neighbour resize
        keep = np.zeros(len(bitmaps), bool)
        keep[candidates[nonempty]] = True
        kept = masks[keep]
        kept.masks = np.ascontiguousarray(resized[nonempty])
        return kept
