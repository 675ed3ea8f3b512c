"""UMGLocalVisualizer: a multi-granularity sample (boxes, masks, their captions and tags; the image's captions and
tags) drawn as the image beside a legend panel."""
import textwrap
from typing import List, Optional, Tuple

import mmcv
import numpy as np
import torch
from mmengine.visualization import Visualizer

from umgclip_mm.registry import VISUALIZERS

# matplotlib's tab10, as RGB: distinct on photographs and readable as text on white
PALETTE = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189), (140, 86, 75),
           (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207)]


def _as_list(value) -> List[str]:
    """A caption field (a string, a list of strings, or absent) as a list of non-empty strings."""
    if value is None:
        return []
    values = [value] if isinstance(value, str) else list(value)
    return [v for v in values if isinstance(v, str) and v.strip()]


def _numpy(value) -> np.ndarray:
    return value.detach().cpu().numpy() if isinstance(value, torch.Tensor) else np.asarray(value)


@VISUALIZERS.register_module()
class UMGLocalVisualizer(Visualizer):
    """Draws a UMG pretraining sample (``PackUMGInputs``' data sample) or an image-caption sample: each region's
    box and each mask in its own colour with a short id (``r0``, ``m0``) on the image, and beside the image a panel
    listing the image's captions and tags, then every region's and mask's caption and tags after its id, in its
    colour.

    The sample's fields read: ``caption`` / ``captions`` / ``text`` (a string or a list: the image's captions, as
    ``SampleCaptions`` or mmpretrain's retrieval ``PackInputs`` leave them), ``tags``, ``regions`` (``bboxes``,
    ``caption``, ``tags``) and ``masks`` (``masks``, ``caption``, ``tags``); any may be absent.

    Args:
        name (str): Instance name.
        image (np.ndarray, optional): RGB image to start from.
        vis_backends (list[dict], optional): Visual backends.
        save_dir (str, optional): Where the backends write.
        alpha (float): Opacity of the masks.
        line_width (int): Box line width in pixels.
        panel_width (int): Width of the legend panel in pixels.
        font_size (int): Font size of the panel and the ids (points).
        max_items (int): Items per level listed in the panel (the rest counted).
    """

    def __init__(self, name: str = 'umg_visualizer', image: Optional[np.ndarray] = None,
                 vis_backends: Optional[list] = None, save_dir: Optional[str] = None, alpha: float = 0.45,
                 line_width: int = 2, panel_width: int = 420, font_size: int = 9, max_items: int = 24):
        super().__init__(name=name, image=image, vis_backends=vis_backends, save_dir=save_dir)
        self.alpha = alpha
        self.line_width = line_width
        self.panel_width = panel_width
        self.font_size = font_size
        self.max_items = max_items

    @staticmethod
    def _color(i: int) -> Tuple[int, int, int]:
        return PALETTE[i % len(PALETTE)]

    @staticmethod
    def _first_mask_color(sample) -> int:
        """Masks take the colours after the regions' (each item its own colour, as far as the palette goes)."""
        regions = sample.get('regions')
        return len(regions) if regions is not None else 0

    def _panel_lines(self, sample) -> List[Tuple[str, Tuple[int, int, int]]]:
        """``(text, colour)`` per line of the legend, wrapped to the panel's width."""
        black = (0, 0, 0)
        chars = max(20, int(self.panel_width / (0.62 * self.font_size * 100 / 72)))
        lines: List[Tuple[str, Tuple[int, int, int]]] = []

        def add(text: str, color, indent: str = '') -> None:
            for k, line in enumerate(textwrap.wrap(text, chars - len(indent)) or ['']):
                lines.append(((indent if k else '') + line, color))

        captions = _as_list(sample.get('caption')) or _as_list(sample.get('captions')) or _as_list(
            sample.get('text'))
        add(f'image captions ({len(captions)}):', black)
        for caption in captions:
            add(f'- {caption}', black, '  ')
        tags = _as_list(sample.get('tags'))
        if tags or 'tags' in sample:
            add(f'image tags ({len(tags)}): {", ".join(tags)}', black, '  ')
        for level, key in (('region', 'r'), ('mask', 'm')):
            items = sample.get(f'{level}s')
            if items is None:
                continue
            first = 0 if level == 'region' else self._first_mask_color(sample)
            captions = items.get('caption', None) or items.get('captions', None) or [''] * len(items)
            item_tags = items.get('tags', None) or [[]] * len(items)
            add(f'{level}s ({len(items)}):', black)
            for i in range(min(len(items), self.max_items)):
                text = f'{key}{i}: {", ".join(_as_list(captions[i])) or "(no caption)"}'
                if item_tags[i]:
                    text += f'  [{", ".join(item_tags[i])}]'
                add(text, self._color(first + i), '    ')
            if len(items) > self.max_items:
                add(f'... and {len(items) - self.max_items} more', black)
        return lines

    def _draw_image(self, image: np.ndarray, sample) -> np.ndarray:
        """The image with the masks, boxes and their ids drawn."""
        self.set_image(image)
        h, w = image.shape[:2]
        masks = sample.get('masks')
        if masks is not None and len(masks):
            bitmaps = _numpy(masks.masks).astype(bool)
            colors = [self._color(self._first_mask_color(sample) + i) for i in range(len(bitmaps))]
            self.draw_binary_masks(bitmaps, colors=colors, alphas=self.alpha)
            for i, bitmap in enumerate(bitmaps):
                ys, xs = np.nonzero(bitmap)
                if len(xs):
                    self._label(f'm{i}', (float(np.median(xs)), float(np.median(ys))), colors[i], 'center')
        regions = sample.get('regions')
        if regions is not None and len(regions):
            boxes = _numpy(regions.bboxes).reshape(-1, 4)
            colors = [self._color(i) for i in range(len(boxes))]
            self.draw_bboxes(boxes, edge_colors=colors, line_widths=self.line_width)
            for i, box in enumerate(boxes):
                x = float(np.clip(box[0], 0, w - 1))
                y = float(np.clip(box[1], 0, h - 1))
                self._label(f'r{i}', (x + self.line_width, y + self.line_width), colors[i], 'left')
        return self.get_image()

    def _label(self, text: str, position: Tuple[float, float], color, align: str) -> None:
        self.draw_texts(text, np.array(position), font_sizes=self.font_size, colors='white',
                        vertical_alignments='top' if align == 'left' else 'center', horizontal_alignments=align,
                        bboxes=dict(facecolor=tuple(c / 255 for c in color), alpha=0.85, pad=0.6,
                                    edgecolor='none'))

    def draw_sample(self, image: np.ndarray, sample) -> np.ndarray:
        """The drawn image with the legend panel to its right (RGB uint8; taller than the image when the legend
        needs it).

        Args:
            image (np.ndarray): RGB uint8 ``[H, W, 3]``, at the size of the sample's boxes and masks.
            sample: The data sample (``BaseDataElement`` or mmpretrain's ``DataSample``).

        Returns:
            np.ndarray: RGB uint8 ``[max(H, panel height), W + panel_width, 3]``.
        """
        drawn = self._draw_image(image, sample)
        lines = self._panel_lines(sample)
        line_px = int(round(self.font_size * 100 / 72 * 1.45))
        height = max(drawn.shape[0], line_px * len(lines) + 16)
        canvas = np.full((height, drawn.shape[1] + self.panel_width, 3), 255, np.uint8)
        canvas[:drawn.shape[0], :drawn.shape[1]] = drawn
        self.set_image(canvas)
        if lines:
            x0 = drawn.shape[1] + 8
            positions = np.array([[x0, 8 + k * line_px] for k in range(len(lines))], np.float32)
            self.draw_texts([t for t, _ in lines], positions, font_sizes=self.font_size,
                            colors=[c for _, c in lines], vertical_alignments='top', font_families='monospace')
        return self.get_image()

    def add_datasample(self, name: str, image: np.ndarray, data_sample=None, draw_gt: bool = True,
                       draw_pred: bool = False, show: bool = False, wait_time: float = 0,
                       out_file: Optional[str] = None, step: int = 0) -> None:
        """Draw the sample's annotations (``draw_gt``; there are no predictions to draw) and show, save to
        ``out_file`` or hand the picture to the backends, as mmdet's ``DetLocalVisualizer`` does.

        Args:
            name (str): Image name (for the backends).
            image (np.ndarray): RGB uint8 image.
            data_sample: The data sample.
            draw_gt (bool): Draw the annotations (else the image alone).
            draw_pred (bool): Unused: a UMG sample has no predictions.
            show (bool): Show in a window.
            wait_time (float): Seconds to show.
            out_file (str, optional): Write the picture here (PNG/JPEG) instead of to the backends.
            step (int): Global step (for the backends).
        """
        drawn = self.draw_sample(image, data_sample) if draw_gt and data_sample is not None else image
        if show:
            self.show(drawn, win_name=name, wait_time=wait_time)
        if out_file is not None:
            mmcv.imwrite(drawn[..., ::-1], out_file)
        else:
            self.add_image(name, drawn, step)
