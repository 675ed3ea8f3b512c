"""LoadUMGAnnotations: validated boxes and masks (run lengths or decoded), with their captions and tags, as
InstanceData."""
from typing import Callable, List, Optional, Sequence, Tuple, Union

import cv2
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


def _coordinates(poly: list) -> np.ndarray:
    """A polygon's coordinates as float64, NaN for any that is not an int or float (bools and strings included)."""
    if set(map(type, poly)) <= {int, float}:
        return np.asarray(poly, np.float64)
    return np.asarray([c if isinstance(c, (int, float)) and not isinstance(c, bool) else np.nan for c in poly],
                      np.float64)


def check_polygon_coordinates(polygons: List[list], h: int, w: int) -> None:
    """Raise a ValueError unless every polygon coordinate is a finite number within one image size of the image
    (``-w <= x <= 2w``, ``-h <= y <= 2h``). pycocotools rasterises whatever it gets: a NaN or a coordinate of 1e9
    makes it allocate without bound or crash the worker, so nothing else must reach it."""
    for i, poly in enumerate(polygons):
        coords = _coordinates(poly)
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


def segmentation_source(seg, h: int, w: int) -> Union[bytes, np.ndarray]:
    """What :func:`rle_runs` needs of a segmentation (COCO RLE or polygons, as :func:`decode_segmentation` takes
    them): a compressed RLE string (bytes; polygons are rasterised into one by pycocotools), or the run lengths
    of an uncompressed RLE (checked here). Raises ValueError on what is malformed before the string is parsed."""
    if isinstance(seg, dict):
        if 'counts' not in seg or 'size' not in seg:
            raise ValueError('an RLE needs "size" and "counts"')
        if list(seg['size']) != [h, w]:
            raise ValueError(f"RLE size {seg['size']} is not the image's [{h}, {w}]")
        counts = seg['counts']
        if isinstance(counts, list):
            if not all(isinstance(c, int) and c >= 0 for c in counts) or sum(counts) != h * w:
                raise ValueError(f'uncompressed RLE counts must be non-negative and sum to {h * w}')
            return np.asarray(counts, np.int64)
        if not isinstance(counts, str):
            raise ValueError(f'RLE counts must be a string or a list, got {type(counts).__name__}')
        return counts.encode('ascii')
    if isinstance(seg, list) and seg and all(isinstance(p, list) and len(p) >= 6 and len(p) % 2 == 0 for p in seg):
        check_polygon_coordinates(seg, h, w)
        rles = mask_utils.frPyObjects(seg, h, w)
        return (rles[0] if len(rles) == 1 else mask_utils.merge(rles))['counts']
    raise ValueError('segmentation is neither an RLE dict nor a list of polygons of >= 3 points')


def _segmented_cumsum(values: np.ndarray, segments: np.ndarray, num_segments: int) -> np.ndarray:
    """Cumulative sums of ``values`` restarting at each segment (``segments``: non-decreasing segment ids)."""
    total = np.cumsum(values)
    first = np.searchsorted(segments, np.arange(num_segments))
    return total - np.concatenate([[0], total])[first][segments]


def rle_runs(sources: Sequence[Union[bytes, np.ndarray]], num_pixels: int) -> List[Optional[np.ndarray]]:
    """The run lengths (int64; column-major, a run of 0s first, as COCO counts them) of each source of
    :func:`segmentation_source`, or None where they are malformed: negative, not summing to ``num_pixels``, or a
    string that ends inside a run. The compressed strings are parsed all at once, as pycocotools' ``rleFrString``
    reads one (5-bit chunks from ``'0'``, a continuation bit, a sign bit on the last chunk, each run after the
    second stored as the difference to the run two before), without decoding any mask."""
    strings = [s for s in sources if isinstance(s, bytes)]
    parsed = iter([])
    if strings:
        lengths = np.array([len(s) for s in strings])
        c = np.frombuffer(b''.join(strings), np.uint8).astype(np.int64) - 48
        string_end = np.cumsum(lengths)
        bad = lengths == 0
        last = (c & 0x20) == 0  # the last chunk of a run
        bad[~bad] |= ~last[string_end[~bad] - 1]  # a string ending inside a run
        last[string_end[lengths > 0] - 1] = True  # ... whose chunks must not run into the next string's
        ends = np.flatnonzero(last)
        starts = np.concatenate([[0], ends[:-1] + 1])[:len(ends)]
        chunks = ends - starts + 1
        shift = 5 * np.minimum(np.arange(len(c)) - np.repeat(starts, chunks), 7)
        x = np.add.reduceat((c & 0x1f) << shift, starts) if len(c) else np.zeros(0, np.int64)
        x = np.where(c[ends] & 0x10, x - (np.int64(1) << (5 * np.minimum(chunks, 7))), x)
        owner = np.searchsorted(string_end, ends, side='right')  # the string of each run
        num_runs = np.bincount(owner, minlength=len(strings))
        first_run = np.cumsum(num_runs) - num_runs
        j = np.arange(len(x)) - first_run[owner]  # the run's position in its string
        runs = x.copy()
        for chain in ((j % 2 == 1), (j % 2 == 0) & (j >= 2)):  # run j > 2 adds run j - 2 (0 stands alone)
            runs[chain] = _segmented_cumsum(x[chain], owner[chain], len(strings))
        bad |= np.bincount(owner, weights=(runs < 0) | (chunks > 7), minlength=len(strings)) > 0
        bad |= np.bincount(owner, weights=runs, minlength=len(strings)) != num_pixels
        parsed = iter([None if bad[k] else runs[first_run[k]:first_run[k] + num_runs[k]]
                       for k in range(len(strings))])
    return [next(parsed) if isinstance(s, bytes) else s for s in sources]


class RLEMasks:
    """Binary masks kept as run lengths (COCO's column-major RLE) until something reads their pixels: the
    ``masks`` of ``LoadUMGAnnotations(lazy_masks=True)``.

    They read as the uint8 array ``[M, H, W]`` they stand for (``np.asarray``, ``shape``, ``dtype``, ``len``; an
    integer or multi-axis index decodes), so code written for dense bitmaps works unchanged. Selecting masks (a
    slice, a boolean or integer array, ``InstanceData``'s ``instances[keep]`` through :meth:`cat`), :meth:`areas`
    and :meth:`window_areas` decode nothing, and :meth:`resized_windows` maps the runs straight to the resized
    crop. Where the pixels are read, the decoding is one ``np.repeat`` of the runs of all the masks (pycocotools'
    ``decode`` is several times slower, one mask at a time, and writes column-major).

    Args:
        runs (Sequence[np.ndarray]): Per mask, its run lengths (int64, column-major, a run of 0s first), each
            summing to ``height * width`` (:func:`rle_runs` makes them).
        height (int): Mask height.
        width (int): Mask width.
    """

    dtype = np.dtype(np.uint8)
    ndim = 3

    def __init__(self, runs: Sequence[np.ndarray], height: int, width: int):
        self.runs = list(runs)
        self.height, self.width = int(height), int(width)

    @property
    def shape(self) -> Tuple[int, int, int]:
        return len(self.runs), self.height, self.width

    def __len__(self) -> int:
        return len(self.runs)

    def __repr__(self) -> str:
        return f'RLEMasks({len(self.runs)} masks of {self.height}x{self.width})'

    def __getitem__(self, item):
        if isinstance(item, slice):
            return RLEMasks(self.runs[item], self.height, self.width)
        if isinstance(item, (list, np.ndarray)) and np.asarray(item).ndim == 1:
            index = np.asarray(item)
            index = np.flatnonzero(index) if index.dtype == bool else index.astype(np.int64)
            return RLEMasks([self.runs[i] for i in index], self.height, self.width)
        return np.asarray(self)[item]

    @classmethod
    def cat(cls, masks: Sequence['RLEMasks']) -> 'RLEMasks':
        """One ``RLEMasks`` of the masks of several (of the same size), in order."""
        return cls([r for m in masks for r in m.runs], masks[0].height, masks[0].width)

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        runs, _, value, _ = self._flat(range(len(self)))
        columns = np.repeat(value.astype(np.uint8), runs).reshape(len(self), self.width, self.height)
        out = np.ascontiguousarray(columns.transpose(0, 2, 1))
        return out if dtype is None else out.astype(dtype)

    def to_ndarray(self) -> np.ndarray:
        """The masks as a C-contiguous uint8 array ``[M, H, W]``."""
        return np.asarray(self)

    def _flat(self, index) -> Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The runs of masks ``index`` one after another, as if the masks were one column-major image each after
        the other: ``(runs, ends, value, owner)`` (each run's end position, its pixel value, its mask's place in
        ``index``)."""
        chosen = [self.runs[i] for i in index]
        runs = np.concatenate(chosen) if chosen else np.zeros(0, np.int64)
        num = np.array([len(r) for r in chosen], np.int64)
        owner = np.repeat(np.arange(len(chosen)), num)
        value = (np.arange(len(runs)) - (np.cumsum(num) - num)[owner]) & 1
        return runs, np.cumsum(runs), value, owner

    def _column_row(self, p: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """``divmod(p, H)`` of non-negative positions below 2**52, by float division (exact: the floor of a
        correctly rounded quotient of such integers is the integer quotient), several times faster than int64's."""
        col = (p / self.height).astype(np.int64)
        return col, p - col * self.height

    def areas(self) -> np.ndarray:
        """Pixels of each mask (int64 ``[M]``)."""
        return np.array([r[1::2].sum() for r in self.runs], np.int64)

    def window_areas(self, x: int, y: int, cw: int, ch: int) -> np.ndarray:
        """Pixels of each mask inside the window ``x <= col < x + cw``, ``y <= row < y + ch`` (int64 ``[M]``),
        from the runs: a run of 1s holds the window pixels before its end minus those before its start."""
        if not self.runs:
            return np.zeros(0, np.int64)
        runs, ends, value, owner = self._flat(range(len(self)))
        fg = value == 1
        runs, ends, owner = runs[fg], ends[fg], owner[fg]
        # window pixels before each column, and above each row inside a window column
        col_before = np.clip(np.arange(self.width + 1) - x, 0, cw) * ch
        row_before = np.clip(np.arange(self.height + 1) - y, 0, ch)
        row_before = np.stack([np.zeros_like(row_before), row_before])
        inside = ((np.arange(self.width + 1) >= x) & (np.arange(self.width + 1) < x + cw)).astype(np.int64)

        def window_before(p):  # window pixels at positions < p (within its mask)
            col, row = self._column_row(p)
            return col_before[col] + row_before[inside[col], row]

        offset = owner * (self.height * self.width)
        per_run = window_before(ends - offset) - window_before(ends - runs - offset)
        return np.bincount(owner, weights=per_run, minlength=len(self)).astype(np.int64)

    def resized_windows(self, index, crop: Tuple[int, int, int, int], size: Tuple[int, int],
                        flip: bool = False) -> np.ndarray:
        """Masks ``index`` inside ``crop = (x, y, cw, ch)`` resized to ``size = (h, w)`` by nearest neighbour (and
        flipped left-right with ``flip``), as C-contiguous uint8 ``[len(index), h, w]``: exactly
        ``cv2.resize(dense[i][y:y + ch, x:x + cw], (w, h), interpolation=cv2.INTER_NEAREST)`` for each, without
        decoding the masks. The output pixels sample the source at monotonic positions (column by column,
        :func:`nearest_index`), so each run of a mask maps to a run of the output: its length is the number of
        samples before its end minus those before its start."""
        x, y, cw, ch = crop
        oh, ow = size
        cols = x + nearest_index(cw, ow)  # the source column of each output column, non-decreasing
        rows = y + nearest_index(ch, oh)
        ucols = np.unique(cols)  # upsampling repeats columns: sample each once, repeat the output columns
        cols_before = np.searchsorted(ucols, np.arange(self.width + 1))  # sampled columns left of each column
        sampled = np.zeros(self.width + 1, bool)
        sampled[ucols] = True
        rows_before = np.searchsorted(rows, np.arange(self.height + 1))  # sampled rows above each row
        runs, ends, value, owner = self._flat(index)
        col, row = self._column_row(ends - owner * (self.height * self.width))  # a run's end, in its mask
        before = (owner * len(ucols) + cols_before[col]) * oh + sampled[col] * rows_before[row]
        columns = np.repeat(value.astype(np.uint8), np.diff(before, prepend=0)).reshape(len(index), len(ucols), oh)
        if len(ucols) < ow:
            columns = columns[:, np.searchsorted(ucols, cols)]
        out = np.empty((len(index), oh, ow), np.uint8)
        for i, c in enumerate(columns):  # column-major to row-major; a flip too is one rotation
            if flip:
                cv2.rotate(c, cv2.ROTATE_90_CLOCKWISE, dst=out[i])
            else:
                cv2.transpose(c, dst=out[i])
        return out


def nearest_index(src: int, dst: int) -> np.ndarray:
    """The source index of each of ``dst`` outputs when resizing ``src`` pixels by nearest neighbour, as OpenCV's
    ``INTER_NEAREST`` computes it (``min(floor(i / (dst / src)), src - 1)`` in double precision)."""
    return np.minimum(np.floor(np.arange(dst) * (1.0 / (dst / src))).astype(np.int64), src - 1)


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
            except Exception as err:  # pycocotools raises assorted errors on malformed input
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
