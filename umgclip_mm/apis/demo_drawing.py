"""Drawing for the open-vocabulary demos (``tools/demo/ov_semseg.py``, ``tools/demo/ov_detection.py``): a palette of
distinct colours, a legend panel beside a picture, and labelled boxes whose tags stay inside it."""
from typing import List, Optional, Sequence, Tuple

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


def _visualizer(image: np.ndarray):
    from mmengine.visualization import Visualizer
    vis = Visualizer.get_instance(f'umgclip_demo_{id(image)}_{np.random.randint(1 << 30)}')
    vis.set_image(image)
    return vis


def _points(vis, font_px: float) -> float:
    """The matplotlib font size (points) that draws ``font_px`` pixels on the visualizer's canvas."""
    return font_px * 72.0 / vis.dpi


def add_legend(image: np.ndarray, rows: Sequence[Tuple[Sequence[int], str, str]], title: str = '') -> np.ndarray:
    """``image`` with a legend panel on its right: per row a colour swatch, a name and a right-aligned value (e.g.
    a pixel share). The panel is as tall as the rows need (the canvas grows below the image if the image is
    shorter), and as wide as the longest text, measured, so nothing is cut.

    Args:
        image (np.ndarray): RGB ``uint8`` ``[H, W, 3]``.
        rows: ``(rgb colour, name, value)`` per legend entry, in display order.
        title (str): A heading line above the rows.

    Returns:
        np.ndarray: The RGB canvas ``[max(H, legend height), W + legend width, 3]``; ``image`` at its top left.
    """
    h, w = image.shape[:2]
    font = font_px_for(h, w)
    pad, row_h, swatch = font // 2 + 2, int(round(font * 1.6)), font
    name_w = max([text_width(name, font) for _, name, _ in rows] + [0])
    value_w = max([text_width(value, font) for _, _, value in rows] + [0])
    title_w = text_width(title, font) if title else 0
    panel_w = int(np.ceil(pad + max(swatch + pad + name_w + 2 * pad + value_w, title_w) + pad))
    top = pad + (row_h if title else 0)
    panel_h = top + row_h * len(rows) + pad
    canvas = np.full((max(h, panel_h), w + panel_w, 3), 255, np.uint8)
    canvas[:h, :w] = image
    canvas[:, w] = 160  # a thin rule between picture and legend
    if not rows and not title:
        return canvas
    vis = _visualizer(canvas)
    x0 = w + pad
    if title:
        vis.draw_texts(title, np.array([x0, pad + row_h / 2]), font_sizes=_points(vis, font), colors=(0, 0, 0),
                       vertical_alignments='center')
    if rows:
        ys = top + row_h * np.arange(len(rows)) + row_h / 2
        boxes = np.array([[x0, y - swatch / 2, x0 + swatch, y + swatch / 2] for y in ys])
        colours = [tuple(int(c) for c in rgb) for rgb, _, _ in rows]
        vis.draw_bboxes(boxes, edge_colors=[(0, 0, 0)] * len(rows), face_colors=colours, alpha=1.0, line_widths=1)
        vis.draw_texts([name for _, name, _ in rows], np.stack([np.full(len(rows), x0 + swatch + pad), ys], 1),
                       font_sizes=_points(vis, font), colors=(0, 0, 0), vertical_alignments='center')
        vis.draw_texts([value for _, _, value in rows], np.stack([np.full(len(rows), w + panel_w - pad), ys], 1),
                       font_sizes=_points(vis, font), colors=(0, 0, 0), vertical_alignments='center',
                       horizontal_alignments='right')
    return vis.get_image()


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


def draw_detections(image: np.ndarray, boxes: np.ndarray, texts: Sequence[str], colours: Sequence[Sequence[int]],
                    masks: Optional[np.ndarray] = None, mask_alpha: float = 0.45) -> np.ndarray:
    """``image`` with masks (if given), box outlines and a label per box: the text on a tag of the box's colour,
    above the box where there is room (else just inside its top), shifted left where it would run off the picture.
    Drawn in the given order (put the most confident last, on top).

    Args:
        image (np.ndarray): RGB ``uint8`` ``[H, W, 3]``.
        boxes (np.ndarray): ``[N, 4]`` ``x1, y1, x2, y2`` in the image's pixels.
        texts (Sequence[str]): A label per box.
        colours: An RGB colour per box.
        masks (np.ndarray, optional): ``[N, H, W]`` bool.
        mask_alpha (float): Opacity of the masks.

    Returns:
        np.ndarray: The drawn RGB image, the size of ``image``.
    """
    h, w = image.shape[:2]
    vis = _visualizer(image.copy())
    if not len(boxes):
        return vis.get_image()
    colours = [tuple(int(c) for c in rgb) for rgb in colours]
    if masks is not None and len(masks):
        vis.draw_binary_masks(masks.astype(bool), colors=colours, alphas=mask_alpha)
    font = max(11.0, font_px_for(h, w) * 0.85)
    line = max(1, int(round(font / 8)))
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    # drawn inside the canvas (a box may end on the image's last pixel edge); the JSON keeps the model's boxes
    shown = np.stack([boxes[:, 0].clip(0, w - 1), boxes[:, 1].clip(0, h - 1), boxes[:, 2].clip(0, w - 1),
                      boxes[:, 3].clip(0, h - 1)], 1)
    vis.draw_bboxes(shown, edge_colors=colours, line_widths=line, alpha=1.0)
    tags = place_tags(shown, [text_width(t, font) + font * 0.5 for t in texts], font * 1.35, h, w)
    for (left, top, right, bottom), text, rgb in zip(tags, texts, colours):
        vis.draw_bboxes(np.array([[left, top, right, bottom]]), edge_colors=[rgb], face_colors=[rgb], alpha=1.0,
                        line_widths=0)
        vis.draw_texts(text, np.array([left + font * 0.25, (top + bottom) / 2]), font_sizes=_points(vis, font),
                       colors=text_colour(rgb), vertical_alignments='center')
    return vis.get_image()
