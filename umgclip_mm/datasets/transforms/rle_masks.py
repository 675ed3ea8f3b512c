"""RLEMasks: binary masks kept as COCO run lengths until their pixels are read, and the run-length parsing and
nearest-neighbour sampling they rest on."""
from typing import List, Optional, Sequence, Tuple, Union

import cv2
import numpy as np


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
