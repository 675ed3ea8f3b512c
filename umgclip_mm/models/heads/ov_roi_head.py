"""OVStandardRoIHead: mmdet's standard RoI head whose box scores can be ensembled before NMS."""
from contextlib import contextmanager
from typing import Callable, List, Optional, Tuple

from mmdet.models.roi_heads import StandardRoIHead
from mmdet.structures.bbox import bbox2roi
from torch import Tensor

from umgclip_mm.registry import MODELS


@MODELS.register_module()
class OVStandardRoIHead(StandardRoIHead):
    """mmdet's ``StandardRoIHead`` (RoI feature extraction, box head, optional mask head) for an open-vocabulary
    detector: inside :meth:`ensembling`, box prediction hands each image's regressed boxes and the box head's class
    logits to a function (the detector's ensemble with the frozen CLIP's own scores of the boxes)
    and runs mmdet's post-processing (score threshold, NMS) on what it returns. Outside it, it is mmdet's head.

    The box head must regress class-agnostically (one box per RoI, e.g. :class:`OVShared2FCBBoxHead`) and a mask
    head must be class-agnostic (``class_agnostic=True``): neither may depend on the vocabulary.

    Args:
        **kwargs: What ``mmdet.StandardRoIHead`` takes.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._ensemble_fn: Optional[Callable] = None
        if not getattr(self.bbox_head, 'reg_class_agnostic', False):
            raise ValueError('OVStandardRoIHead needs class-agnostic box regression (bbox_head.reg_class_agnostic='
                             'True): the vocabulary changes between training and testing')
        if self.with_mask and not getattr(self.mask_head, 'class_agnostic', False):
            raise ValueError('OVStandardRoIHead needs a class-agnostic mask head (mask_head.class_agnostic=True): '
                             'the vocabulary changes between training and testing')

    @contextmanager
    def ensembling(self, fn: Callable[[List[Tensor], Tensor], Tensor]):
        """Within this context, box prediction calls ``fn(boxes, cls_logits)``: ``boxes`` per image ``[K_i, 4]``
        (xyxy, input pixels, regressed), ``cls_logits`` ``[sum K_i, C + 1]`` (background last); it returns scores
        of the same shape whose softmax is the final class distribution (log-probabilities do)."""
        self._ensemble_fn = fn
        try:
            yield self
        finally:
            self._ensemble_fn = None

    def predict_bbox(self, x: Tuple[Tensor], batch_img_metas: List[dict], rpn_results_list, rcnn_test_cfg,
                     rescale: bool = False):
        """mmdet's box prediction, with the class logits ensembled first within :meth:`ensembling`."""
        if self._ensemble_fn is None:
            return super().predict_bbox(x, batch_img_metas, rpn_results_list, rcnn_test_cfg, rescale)
        rois = bbox2roi([res.bboxes for res in rpn_results_list])
        if rois.shape[0] == 0:  # mmdet's empty results
            return super().predict_bbox(x, batch_img_metas, rpn_results_list, rcnn_test_cfg, rescale)
        results = self._bbox_forward(x, rois)
        cls_scores, bbox_preds = results['cls_score'], results['bbox_pred']
        num = tuple(len(res.bboxes) for res in rpn_results_list)
        boxes = [self.bbox_head.bbox_coder.decode(r[:, 1:], d, max_shape=meta['img_shape'])
                 for r, d, meta in zip(rois.split(num), bbox_preds.split(num), batch_img_metas)]
        cls_scores = self._ensemble_fn(boxes, cls_scores)
        return self.bbox_head.predict_by_feat(rois=rois.split(num), cls_scores=cls_scores.split(num),
                                              bbox_preds=bbox_preds.split(num), batch_img_metas=batch_img_metas,
                                              rcnn_test_cfg=rcnn_test_cfg, rescale=rescale)
