"""OVMaskFormerFusionHead: mmdet's MaskFormer fusion head, told its vocabulary through a method, with semantic
output."""
from contextlib import contextmanager
from typing import List

import torch.nn.functional as F
from mmdet.models.seg_heads.panoptic_fusion_heads import MaskFormerFusionHead
from mmengine.structures import PixelData
from torch import Tensor

from umgclip_mm.registry import MODELS
from umgclip_mm.vocabulary import Vocabulary


def semantic_probs(mask_cls: Tensor, mask_pred: Tensor) -> Tensor:
    """Per-pixel class probabilities of a mask classification: ``sum_q softmax(mask_cls)[q, c] *
    sigmoid(mask_pred)[q]`` (MaskFormer's semantic inference; void dropped), ``[..., C, H, W]``.

    Args:
        mask_cls (Tensor): ``[..., Q, C + 1]`` class logits (void last); log-probabilities work alike.
        mask_pred (Tensor): ``[..., Q, H, W]`` mask logits.
    """
    cls = F.softmax(mask_cls.float(), dim=-1)[..., :-1]
    return (cls.transpose(-1, -2) @ mask_pred.float().sigmoid().flatten(-2)).unflatten(-1, mask_pred.shape[-2:])


@MODELS.register_module()
class OVMaskFormerFusionHead(MaskFormerFusionHead):
    """mmdet's ``MaskFormerFusionHead`` (panoptic and instance post-processing of mask classification) for a
    vocabulary that changes: the open-vocabulary model calls :meth:`use_vocabulary` whenever it switches between its
    training and test vocabularies, instead of setting class counts from outside.

    It adds what mmdet leaves out, semantic output (``test_cfg.semantic_on``): :func:`semantic_probs` at the
    original image size, argmax over the classes, as ``sem_results`` of each image: a ``PixelData`` whose ``data``
    (what mmseg's ``IoUMetric`` reads) and ``sem_seg`` (mmdet's ``SemSegMetric``) are the same ``[1, H, W]`` labels.
    FC-CLIP evaluates its panoptic model on semantic benchmarks this way.

    Args:
        **kwargs: What ``mmdet.MaskFormerFusionHead`` takes; ``num_things_classes`` / ``num_stuff_classes`` are the
            initial vocabulary's.
    """

    def use_vocabulary(self, vocab: Vocabulary, class_embeds: Tensor) -> None:
        """Post-process for ``vocab``'s thing classes followed by its stuff classes (void last); the class
        embeddings are the head's business."""
        self.num_things_classes = vocab.num_things
        self.num_stuff_classes = len(vocab) - vocab.num_things
        self.num_classes = len(vocab)

    def semantic_postprocess(self, mask_cls: Tensor, mask_pred: Tensor) -> PixelData:
        """Semantic labels ``[1, H, W]`` (as ``data`` and ``sem_seg``) of one image's ``mask_cls`` ``[Q, C + 1]`` and
        ``mask_pred`` ``[Q, H, W]``."""
        labels = semantic_probs(mask_cls, mask_pred).argmax(dim=0)[None]
        return PixelData(data=labels, sem_seg=labels)

    @contextmanager
    def _semantic_off(self):
        """mmdet's ``predict`` refuses ``semantic_on``; it runs with it off and the semantic part is added here."""
        semantic_on = self.test_cfg.get('semantic_on', False)
        self.test_cfg['semantic_on'] = False
        try:
            yield semantic_on
        finally:
            self.test_cfg['semantic_on'] = semantic_on

    def predict(self, mask_cls_results: Tensor, mask_pred_results: Tensor, batch_data_samples: List,
                rescale: bool = False, **kwargs) -> List[dict]:
        """mmdet's panoptic / instance results, plus ``sem_results`` when ``test_cfg.semantic_on``."""
        with self._semantic_off() as semantic_on:
            results = super().predict(mask_cls_results, mask_pred_results, batch_data_samples, rescale, **kwargs)
        if semantic_on:
            for result, cls, masks, sample in zip(results, mask_cls_results, mask_pred_results, batch_data_samples):
                h, w = sample.metainfo['img_shape'][:2]
                masks = masks[:, :h, :w]
                if rescale:
                    masks = F.interpolate(masks[:, None], size=sample.metainfo['ori_shape'][:2], mode='bilinear',
                                          align_corners=False)[:, 0]
                result['sem_results'] = self.semantic_postprocess(cls, masks)
        return results
