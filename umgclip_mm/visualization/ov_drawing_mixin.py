"""OVDrawingMixin: the drawing the open-vocabulary outputs need beyond mmdet's and mmseg's visualizers (a legend
panel, labelled boxes whose tags stay inside the picture, a title strip), as methods of
:class:`OVDetLocalVisualizer` and :class:`OVSegLocalVisualizer`."""
from typing import Optional, Sequence, Tuple

import numpy as np

from .drawing import distinct_palette, font_px_for, place_tags, text_colour, text_width


class OVDrawingMixin:
    """Methods mixed into an mmengine ``Visualizer``: each draws on the visualizer's own canvas (``set_image``) and
    returns the drawn RGB image. Classes are coloured by :meth:`class_palette` (their index in the vocabulary), so a
    class has one colour in the demos, the web page, ``tools/test.py --show-dir`` and the quickstart report."""

    @staticmethod
    def class_palette(num_classes: int):
        """The RGB colour of each class of a vocabulary of ``num_classes`` (:func:`distinct_palette`)."""
        return distinct_palette(num_classes)

    def _points(self, font_px: float) -> float:
        """The matplotlib font size (points) that draws ``font_px`` pixels on the canvas."""
        return font_px * 72.0 / self.dpi

    def draw_legend(self, image: np.ndarray, rows: Sequence[Tuple[Sequence[int], str, str]],
                    title: str = '') -> np.ndarray:
        """``image`` with a legend panel on its right: per row a colour swatch, a name and a right-aligned value (e.g.
        a pixel share). The panel is as tall as the rows need (the canvas grows below the image if the image is
        shorter), and as wide as the longest text, measured, so nothing is cut. With no row, a panel of ``title``
        alone (e.g. "no segment of this vocabulary found").

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
        self.set_image(canvas)
        if not rows and not title:
            return self.get_image()
        x0 = w + pad
        if title:
            self.draw_texts(title, np.array([x0, pad + row_h / 2]), font_sizes=self._points(font), colors=(0, 0, 0),
                            vertical_alignments='center')
        if rows:
            ys = top + row_h * np.arange(len(rows)) + row_h / 2
            boxes = np.array([[x0, y - swatch / 2, x0 + swatch, y + swatch / 2] for y in ys])
            colours = [tuple(int(c) for c in rgb) for rgb, _, _ in rows]
            self.draw_bboxes(boxes, edge_colors=[(0, 0, 0)] * len(rows), face_colors=colours, alpha=1.0,
                             line_widths=1)
            self.draw_texts([name for _, name, _ in rows], np.stack([np.full(len(rows), x0 + swatch + pad), ys], 1),
                            font_sizes=self._points(font), colors=(0, 0, 0), vertical_alignments='center')
            self.draw_texts([value for _, _, value in rows], np.stack([np.full(len(rows), w + panel_w - pad), ys], 1),
                            font_sizes=self._points(font), colors=(0, 0, 0), vertical_alignments='center',
                            horizontal_alignments='right')
        return self.get_image()

    def draw_tagged_boxes(self, image: np.ndarray, boxes: np.ndarray, texts: Sequence[str],
                          colours: Sequence[Sequence[int]], masks: Optional[np.ndarray] = None,
                          mask_alpha: float = 0.45) -> np.ndarray:
        """``image`` with masks (if given), box outlines and a label per box: the text on a tag of the box's colour,
        above the box where there is room (else just inside its top, or where no other tag is:
        :func:`place_tags`), shifted left where it would run off the picture. Drawn in the given order (put the
        most confident last, on top).

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
        self.set_image(image.copy())
        if not len(boxes):
            return self.get_image()
        colours = [tuple(int(c) for c in rgb) for rgb in colours]
        if masks is not None and len(masks):
            self.draw_binary_masks(np.asarray(masks).astype(bool), colors=colours, alphas=mask_alpha)
        font = max(11.0, font_px_for(h, w) * 0.85)
        line = max(1, int(round(font / 8)))
        boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
        # drawn inside the canvas (a box may end on the image's last pixel edge); the JSON keeps the model's boxes
        shown = np.stack([boxes[:, 0].clip(0, w - 1), boxes[:, 1].clip(0, h - 1), boxes[:, 2].clip(0, w - 1),
                          boxes[:, 3].clip(0, h - 1)], 1)
        self.draw_bboxes(shown, edge_colors=colours, line_widths=line, alpha=1.0)
        tags = place_tags(shown, [text_width(t, font) + font * 0.5 for t in texts], font * 1.35, h, w)
        for (left, top, right, bottom), text, rgb in zip(tags, texts, colours):
            self.draw_bboxes(np.array([[left, top, right, bottom]]), edge_colors=[rgb], face_colors=[rgb], alpha=1.0,
                             line_widths=0)
            self.draw_texts(text, np.array([left + font * 0.25, (top + bottom) / 2]), font_sizes=self._points(font),
                            colors=text_colour(rgb), vertical_alignments='center')
        return self.get_image()

    def draw_title(self, image: np.ndarray, title: str, font: int) -> np.ndarray:
        """``image`` (RGB) under a white strip of ``2 * font`` px with ``title`` centred in ``font`` px."""
        canvas = np.full((image.shape[0] + 2 * font, image.shape[1], 3), 255, np.uint8)
        canvas[2 * font:] = image
        self.set_image(canvas)
        self.draw_texts(title, np.array([image.shape[1] / 2, font]), font_sizes=self._points(font), colors=(0, 0, 0),
                        vertical_alignments='center', horizontal_alignments='center')
        return self.get_image()
