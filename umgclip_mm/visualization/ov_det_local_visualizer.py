"""OVDetLocalVisualizer: mmdet's DetLocalVisualizer drawing open-vocabulary predictions: one distinct colour per
class of the vocabulary, "name score" tags that stay inside the picture, the void of a panoptic prediction left
unpainted, mmseg's semantic maps, and a legend for the demos."""
from typing import List, Sequence

import numpy as np
import torch
from mmdet.evaluation.functional import INSTANCE_OFFSET
from mmdet.visualization import DetLocalVisualizer

from umgclip_mm.registry import VISUALIZERS

from .ov_drawing_mixin import OVDrawingMixin


def _numpy(x) -> np.ndarray:
    """A tensor, mmdet box structure, ``BitmapMasks`` or array as a numpy array."""
    x = getattr(x, 'tensor', x)  # HorizontalBoxes
    if hasattr(x, 'to_ndarray'):  # BitmapMasks
        return x.to_ndarray()
    return x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)


@VISUALIZERS.register_module()
class OVDetLocalVisualizer(OVDrawingMixin, DetLocalVisualizer):
    """mmdet's ``DetLocalVisualizer`` for open-vocabulary detection and panoptic segmentation.

    - Colours: class ``i`` of the vocabulary (``dataset_meta['classes']``) is drawn in
      ``class_palette(len(classes))[i]`` (:func:`~umgclip_mm.visualization.drawing.distinct_palette`), whatever
      palette the dataset declares: the same colour in ``tools/test.py --show-dir``, the demos, the web page and the
      quickstart report.
    - Instances: masks, box outlines and a ``"name score"`` tag per box (``"name"`` for ground truth), the best drawn
      last, tags placed inside the picture without overlapping (:meth:`draw_tagged_boxes`).
    - Panoptic: the void of a prediction is not painted as the first class after mmdet's panoptic metric has seen
      it. A panoptic prediction (``pred_panoptic_seg``, as ``OVMask2Former`` returns it) holds
      ``label + k * INSTANCE_OFFSET`` (``k >= 1``) for the thing classes, the label for the stuff classes, and
      ``num_classes`` for void, which ``DetLocalVisualizer`` skips; but mmdet 3.3's
      ``CocoPanopticMetric._parse_predictions`` rewrites void to ``0`` in place, and ``DetVisualizationHook`` draws
      after the metric. Where the vocabulary has a thing class no segment has id 0, so 0 is read back as void. A map
      with no segment at all is returned unpainted (mmdet's drawing fails on it).
    - Semantic maps of mmseg's data samples (``PixelData(data=...)``, from ``PackSegInputs``) are drawn too.
    - :meth:`draw_prediction`: the prediction alone with a legend panel (what the demos and the web page show).

    Built directly (``OVDetLocalVisualizer(name=...)``) it is no global mmengine instance.

    Args:
        **kwargs: ``DetLocalVisualizer``'s arguments (``name``, ``vis_backends``, ``save_dir``, ``alpha``, ...).
    """

    def set_vocabulary(self, names: Sequence[str], thing_classes: Sequence[str] = (),
                       stuff_classes: Sequence[str] = ()) -> None:
        """Draw the classes ``names`` (in order; panoptic: the things first) with their colours."""
        meta = dict(classes=list(names), palette=self.class_palette(len(names)))
        if thing_classes or stuff_classes:
            meta.update(thing_classes=list(thing_classes), stuff_classes=list(stuff_classes))
        self.dataset_meta = meta

    def _draw_instances(self, image: np.ndarray, instances, classes, palette) -> np.ndarray:
        classes = list(classes or [])
        labels = _numpy(instances.labels).astype(np.int64) if 'labels' in instances else np.zeros(0, np.int64)
        boxes = _numpy(instances.bboxes).reshape(-1, 4) if 'bboxes' in instances else np.zeros((0, 4))
        scores = _numpy(instances.scores) if 'scores' in instances else None
        order = np.argsort(scores, kind='stable') if scores is not None else np.arange(len(labels))  # best last
        colours = self.class_palette(max(len(classes), int(labels.max()) + 1 if len(labels) else 0))
        names = [classes[i] if i < len(classes) else f'class {i}' for i in labels]
        texts = [names[i] + ('' if scores is None else f' {scores[i]:.2f}') for i in order]
        masks = _numpy(instances.masks)[order].astype(bool) if 'masks' in instances and len(order) else None
        return self.draw_tagged_boxes(image, boxes[order], texts, [colours[labels[i]] for i in order], masks)

    @staticmethod
    def _segment_ids(panoptic_seg, num_classes: int) -> np.ndarray:
        ids = _numpy(panoptic_seg.sem_seg)
        return np.unique(ids[(ids % INSTANCE_OFFSET) < num_classes])

    def _draw_panoptic_seg(self, image: np.ndarray, panoptic_seg, classes, palette) -> np.ndarray:
        things = (self.dataset_meta or {}).get('thing_classes')
        if 'label_names' in panoptic_seg:  # an open-set map: as mmdet draws it
            return super()._draw_panoptic_seg(image, panoptic_seg, classes, palette)
        ids = _numpy(panoptic_seg.sem_seg)
        if things and classes and (ids == 0).any():
            panoptic_seg = panoptic_seg.new(sem_seg=np.where(ids == 0, len(classes), ids))  # a copy
        if not len(self._segment_ids(panoptic_seg, len(classes))):
            self.set_image(image)
            return self.get_image()
        return super()._draw_panoptic_seg(image, panoptic_seg, classes, self.class_palette(len(classes)))

    def _draw_sem_seg(self, image: np.ndarray, sem_seg, classes, palette) -> np.ndarray:
        if 'sem_seg' not in sem_seg and 'data' in sem_seg:  # mmseg's PixelData(data=...)
            sem_seg = sem_seg.new(sem_seg=sem_seg.data)
        return super()._draw_sem_seg(image, sem_seg, classes, self.class_palette(len(classes)))

    def draw_prediction(self, image: np.ndarray, data_sample, pred_score_thr: float = 0.3,
                        legend: bool = True) -> np.ndarray:
        """The prediction of ``data_sample`` over ``image`` (RGB ``uint8``) with a legend panel on its right: per
        class found, its colour and its number of detections (``pred_instances`` scoring at least
        ``pred_score_thr``) or its share of the picture (``pred_panoptic_seg``). The picture part is what
        ``add_datasample`` draws for the prediction (``tools/test.py --show-dir``'s right half). ``legend=False``:
        the picture part alone."""
        classes = list(self.dataset_meta['classes'])
        palette = self.class_palette(len(classes))
        data_sample = data_sample.cpu()
        if 'pred_panoptic_seg' in data_sample:
            pan = data_sample.pred_panoptic_seg.numpy()
            segments = self._segment_ids(pan, len(classes))
            if not len(segments):
                return self.draw_legend(image, [], title='no segment of this vocabulary found') if legend else image
            drawn = self._draw_panoptic_seg(image, pan, classes, palette)
            if not legend:
                return drawn
            ids = _numpy(pan.sem_seg)[0]
            labels, counts = np.unique(ids[(ids % INSTANCE_OFFSET) < len(classes)] % INSTANCE_OFFSET,
                                       return_counts=True)
            order = np.lexsort((labels, -counts))
            rows = [(palette[labels[i]], classes[labels[i]], f'{100 * counts[i] / ids.size:.1f}%') for i in order]
            return self.draw_legend(drawn, rows, title='class: area')
        instances = data_sample.pred_instances
        instances = instances[_numpy(instances.scores) >= pred_score_thr]
        drawn = self._draw_instances(image, instances, classes, palette)
        if not legend:
            return drawn
        labels, counts = np.unique(_numpy(instances.labels).astype(np.int64), return_counts=True)
        order = np.lexsort((labels, -counts))
        rows: List = [(palette[labels[i]], classes[labels[i]], str(counts[i])) for i in order]
        title = 'class: detections' if len(rows) else f'no detection scoring {pred_score_thr:g} or more'
        return self.draw_legend(drawn, rows, title=title)
