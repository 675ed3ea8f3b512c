"""OVSegLocalVisualizer: mmseg's SegLocalVisualizer drawing open-vocabulary class maps, one distinct colour per
class of the vocabulary, with a legend for the demos."""
from typing import Sequence

import numpy as np
from mmseg.visualization import SegLocalVisualizer

from umgclip_mm.registry import VISUALIZERS

from .ov_drawing_mixin import OVDrawingMixin


@VISUALIZERS.register_module()
class OVSegLocalVisualizer(OVDrawingMixin, SegLocalVisualizer):
    """mmseg's ``SegLocalVisualizer`` for open-vocabulary semantic segmentation: class ``i`` of the vocabulary
    (``dataset_meta['classes']``) is painted in ``class_palette(len(classes))[i]``
    (:func:`~umgclip_mm.visualization.drawing.distinct_palette`) whatever palette the dataset declares, without
    mmseg's class names over the map (the legend of :meth:`draw_prediction` names the classes): the same drawing in
    ``tools/test.py --show-dir``, the demos and the web page.

    Built directly (``OVSegLocalVisualizer(name=...)``) it is no global mmengine instance.

    Args:
        name (str): The visualizer's name.
        alpha (float): Opacity of the class colours (0: the image only, 1: the colours only).
        **kwargs: ``SegLocalVisualizer``'s other arguments (``name``, ``vis_backends``, ``save_dir``, ...).
    """

    def __init__(self, name: str = 'visualizer', alpha: float = 0.5, **kwargs):
        super().__init__(name=name, alpha=alpha, **kwargs)

    def set_vocabulary(self, names: Sequence[str]) -> None:
        """Draw the classes ``names`` (in order) with their colours."""
        self.set_dataset_meta(classes=list(names), palette=self.class_palette(len(names)))

    def _draw_sem_seg(self, image: np.ndarray, sem_seg, classes, palette, with_labels: bool = True) -> np.ndarray:
        return super()._draw_sem_seg(image, sem_seg, classes, self.class_palette(len(classes)), with_labels=False)

    def draw_prediction(self, image: np.ndarray, data_sample) -> np.ndarray:
        """The class map of ``data_sample.pred_sem_seg`` over ``image`` (RGB ``uint8``) with a legend panel on its
        right: per class present, its colour and its share of the pixels (most first). The picture part is what
        ``add_datasample`` draws for the prediction."""
        classes = list(self.dataset_meta['classes'])
        palette = self.class_palette(len(classes))
        sem_seg = data_sample.pred_sem_seg.cpu()
        drawn = self._draw_sem_seg(image, sem_seg, classes, palette)
        labels = sem_seg.data[0].numpy()
        ids, counts = np.unique(labels[(labels >= 0) & (labels < len(classes))], return_counts=True)
        order = np.lexsort((ids, -counts))
        rows = [(palette[ids[i]], classes[ids[i]],
                 f'{100 * counts[i] / labels.size:.1f}%' if counts[i] / labels.size >= 0.0005 else '<0.1%')
                for i in order]
        return self.draw_legend(drawn, rows, title='class: pixel share')
