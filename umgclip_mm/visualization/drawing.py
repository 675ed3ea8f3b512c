"""What the visualizers of :mod:`umgclip_mm.visualization` draw with: a palette of distinct colours (one per class
of a vocabulary, the same everywhere a class is drawn), text sizes and metrics, and where labelled tags go."""
from typing import List, Sequence, Tuple

import numpy as np


def distinct_palette(n: int) -> List[Tuple[int, int, int]]:
    """``n`` RGB colours, far apart as the eye sees them: farthest-point sampling in CIELAB among 1152 HSV colours
    (72 hues, 4 saturations and 4 brightnesses, none near white, black or grey), from a vivid red. Each colour is the
    candidate farthest from all chosen before it, so the first ``k`` colours are the same for every ``n`` (a class
    keeps its colour when classes are added after it) and a short vocabulary gets the most distinct ones. Colours
    repeat beyond 1152 classes."""
    import cv2
    hsv = np.array([(h, s, v) for h in np.arange(72) * 5.0 for s in (0.45, 0.65, 0.85, 1.0)
                    for v in (0.55, 0.7, 0.85, 1.0)], dtype=np.float32)
    rgb = cv2.cvtColor(hsv[None], cv2.COLOR_HSV2RGB)[0]  # float HSV: hue in degrees, s and v in [0, 1]
    lab = cv2.cvtColor(rgb[None], cv2.COLOR_RGB2LAB)[0].astype(np.float64)  # float RGB in [0, 1]: true L*a*b*
    chosen = [int(np.argmin(np.abs(rgb - (1.0, 0.05, 0.05)).sum(1)))]
    dist = np.linalg.norm(lab - lab[chosen[0]], axis=1)
    while len(chosen) < min(n, len(rgb)):
        j = int(np.argmax(dist))
        chosen.append(j)
        dist = np.minimum(dist, np.linalg.norm(lab - lab[j], axis=1))
    colours = [tuple(int(round(c * 255)) for c in rgb[j]) for j in chosen]
    return [colours[i % len(colours)] for i in range(n)]


def text_colour(rgb: Sequence[int]) -> Tuple[int, int, int]:
    """Black or white, whichever reads better on ``rgb``."""
    lum = 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2]
    return (0, 0, 0) if lum > 140 else (255, 255, 255)


def font_px_for(height: int, width: int) -> int:
    """Label font height in pixels for a picture: about 1/32 of its longer side, 12 to 28 px."""
    return int(np.clip(round(max(height, width) / 32), 12, 28))


def text_width(text: str, font_px: float) -> float:
    """Width in pixels of ``text`` drawn at ``font_px`` in matplotlib's sans-serif (what the visualizer draws)."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextPath
    ext = TextPath((0, 0), text, size=font_px, prop=FontProperties(family=['sans-serif'])).get_extents()
    return float(ext.x1) if len(text.strip()) else 0.0


def place_tags(boxes: np.ndarray, widths: Sequence[float], height: float, img_h: int, img_w: int) -> np.ndarray:
    """Where to put a label tag (``widths[i]`` x ``height`` px) for each box, inside the picture: above the box,
    else just inside its top, below it, just inside its bottom, or stacked further down from its top or up from
    above it, whichever first overlaps no tag placed before (the last box is placed first: the demos give the best
    last); where every place overlaps, the first that fits the picture. Tags wider than the picture start at its
    left edge.

    Returns:
        np.ndarray: ``[N, 4]`` tag rectangles ``left, top, right, bottom``.
    """
    placed = np.zeros((len(boxes), 4))
    done = []
    for i in range(len(boxes) - 1, -1, -1):
        x1, y1, _, y2 = boxes[i]
        left = float(np.clip(x1, 0, max(img_w - 1 - widths[i], 0)))
        tops = [y1 - height, y1, y2, y2 - height]
        steps = int(img_h // max(height, 1)) + 1  # then stacked down from the box's top, and up from above it
        tops += [y1 + k * height for k in range(1, steps)] + [y1 - (k + 1) * height for k in range(1, steps)]
        tops = [t for t in tops if -0.5 < t < img_h - height + 0.5] or tops[:1]
        tops = [float(np.clip(t, 0, max(img_h - 1 - height, 0))) for t in tops]
        cands = [np.array([left, t, left + widths[i], t + height]) for t in tops]
        free = [c for c in cands if not any(c[0] < d[2] and d[0] < c[2] and c[1] < d[3] and d[1] < c[3]
                                            for d in done)]
        placed[i] = (free or cands)[0]
        done.append(placed[i])
    return placed
