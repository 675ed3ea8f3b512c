"""OVDetLocalVisualizer: mmdet's DetLocalVisualizer, which leaves the void of a panoptic prediction unpainted and
also draws mmseg's semantic maps."""
import numpy as np
import torch
from mmdet.visualization import DetLocalVisualizer

from umgclip_mm.registry import VISUALIZERS


@VISUALIZERS.register_module()
class OVDetLocalVisualizer(DetLocalVisualizer):
    """mmdet's ``DetLocalVisualizer`` that does not paint the void pixels of a panoptic prediction as the first
    class after mmdet's panoptic metric has seen the prediction, and that draws the semantic maps of mmseg's data
    samples too.

    A panoptic prediction (``pred_panoptic_seg``, mmdet's convention, as ``OVMask2Former`` returns it) holds
    ``label + k * INSTANCE_OFFSET`` (``k >= 1``) for the thing classes, which come first, the label for the stuff
    classes, and ``num_classes`` for void, which ``DetLocalVisualizer`` skips. But mmdet 3.3's
    ``CocoPanopticMetric._parse_predictions`` (so also our ``OVCocoPanopticMetric``) rewrites void to ``0``
    (panopticapi's ``VOID``) in place, in the tensor the model returned, and ``DetVisualizationHook`` draws after
    the metric: void came out painted and labelled as class 0 (``circle`` in the toy world, ``person`` on COCO).
    Where the vocabulary has a thing class, no segment has id 0 (class 0 is a thing, and thing ids are at least
    ``INSTANCE_OFFSET``), so this visualizer reads 0 back as void before mmdet draws. Without thing classes (or an
    open-set ``label_names`` map) the prediction is drawn as it is.

    The semantic read-out of the panoptic model (``configs/ov_mask2former/*-semantic.py``, run by mmdet) reads its
    data with mmseg's pipeline: its ``gt_sem_seg`` / ``pred_sem_seg`` hold the map in ``data`` (mmseg's
    ``PackSegInputs``), where ``DetLocalVisualizer`` reads ``sem_seg`` (mmdet's ``PackDetInputs``) and fails.

    Args:
        **kwargs: ``DetLocalVisualizer``'s arguments (``name``, ``vis_backends``, ``save_dir``, ``alpha``, ...).
    """

    def _draw_panoptic_seg(self, image: np.ndarray, panoptic_seg, classes, palette) -> np.ndarray:
        things = (self.dataset_meta or {}).get('thing_classes')
        if things and classes and 'label_names' not in panoptic_seg:
            ids = panoptic_seg.sem_seg
            ids = ids.detach().cpu().numpy() if isinstance(ids, torch.Tensor) else np.asarray(ids)
            if (ids == 0).any():
                ids = np.where(ids == 0, len(classes), ids)  # a copy: the data sample stays as it is
                panoptic_seg = panoptic_seg.new(sem_seg=ids)
        return super()._draw_panoptic_seg(image, panoptic_seg, classes, palette)

    def _draw_sem_seg(self, image: np.ndarray, sem_seg, classes, palette) -> np.ndarray:
        if 'sem_seg' not in sem_seg and 'data' in sem_seg:  # mmseg's PixelData(data=...)
            sem_seg = sem_seg.new(sem_seg=sem_seg.data)
        return super()._draw_sem_seg(image, sem_seg, classes, palette)
