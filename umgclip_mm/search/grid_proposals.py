"""Sliding-window box proposals: class-agnostic boxes that need no detector."""
from typing import Sequence

import numpy as np


def grid_proposals(height: int, width: int, scales: Sequence[float] = (0.25, 0.375, 0.5, 0.75),
                   overlap: float = 0.5) -> np.ndarray:
    """Square windows of each ``scale`` times the shorter side, stepped by ``(1 - overlap)`` of their side over the
    image (the last window of a row or column flush with the border), plus the whole image.

    Args:
        height, width (int): Image size in pixels.
        scales (Sequence[float]): Window sides as fractions of the shorter image side.
        overlap (float): Overlap of neighbouring windows, in [0, 1).

    Returns:
        np.ndarray: Boxes ``[K, 4]`` float32 xyxy, without duplicates.
    """
    if not 0 <= overlap < 1:
        raise ValueError(f'overlap must be in [0, 1), got {overlap}')
    boxes = [(0.0, 0.0, float(width), float(height))]
    short = min(height, width)
    for scale in scales:
        side = max(1.0, scale * short)
        step = max(1.0, side * (1 - overlap))
        xs = np.unique(np.minimum(np.arange(0, max(width - side, 0) + step, step), max(width - side, 0)))
        ys = np.unique(np.minimum(np.arange(0, max(height - side, 0) + step, step), max(height - side, 0)))
        boxes += [(x, y, x + side, y + side) for y in ys for x in xs]
    return np.unique(np.round(np.asarray(boxes, np.float32), 2), axis=0)
