"""PanopticProposer: class-agnostic mask proposals from an open-vocabulary panoptic model's queries."""
from typing import Optional, Tuple

import numpy as np
import torch
import torch.nn.functional as F

from .array_pipeline import array_test_pipeline


def mask_boxes(masks: np.ndarray) -> np.ndarray:
    """Bounding boxes ``[K, 4]`` float32 ``x1, y1, x2, y2`` (pixel edges, as COCO's ``toBbox``) of bitmaps
    ``[K, H, W]``; an empty mask gets ``[0, 0, 0, 0]``."""
    boxes = np.zeros((len(masks), 4), np.float32)
    for k, m in enumerate(masks):
        ys, xs = np.nonzero(m)
        if len(xs):
            boxes[k] = (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1)
    return boxes


class PanopticProposer:
    """The masks the queries of an open-vocabulary panoptic model (:class:`OVMask2Former`) predict for an image,
    class-agnostic, with their bounding boxes: what a search index holds at its mask and region levels with
    ``--proposals panoptic``.

    Each query's mask is its last decoder layer's mask logits resized to the image (as Mask2Former's fusion head
    does: to the padded input, cropped, then to the image's size) and thresholded at 0; its score is Mask2Former's
    instance score without the class: the query's objectness (1 - its probability of "no object" over the model's
    test vocabulary) times the mean mask probability inside the mask. Masks are taken best first; one of under
    ``min_area`` pixels, scoring under ``min_score``, or overlapping a better one with IoU over ``dup_iou`` is
    dropped.

    The image goes through the model config's test pipeline (its loader swapped for mmdet's
    ``LoadImageFromNDArray``, annotation loading dropped) and data preprocessor; the model runs in ``tensor`` mode
    (neck and head, no fusion).

    Args:
        model (nn.Module): An :class:`OVMask2Former` with ``cfg`` set (as ``init_model`` returns it).
        max_proposals (int): Keep the best this many masks.
        min_score (float): Drop masks of lower score.
        min_area (int): Drop masks of fewer pixels.
        dup_iou (float): Drop a mask whose IoU with a better kept one is above this.
    """

    def __init__(self, model, max_proposals: int = 20, min_score: float = 0.0, min_area: int = 16,
                 dup_iou: float = 0.8):
        if not hasattr(model, 'panoptic_head'):
            raise TypeError(f'{type(model).__name__} has no panoptic head: give an open-vocabulary panoptic config '
                            '(configs/quickstart/panoptic_synthetic.py)')
        self.model = model.eval()
        self.max_proposals, self.min_score, self.min_area, self.dup_iou = max_proposals, min_score, min_area, dup_iou
        self.pipeline = array_test_pipeline(model.cfg)

    @classmethod
    def from_config(cls, config: str, checkpoint: Optional[str] = None, device: str = 'cpu',
                    **kwargs) -> 'PanopticProposer':
        """Build the panoptic model of a config with a checkpoint (the frozen tower's ``init_cfg`` is not followed:
        the model's checkpoint holds the tower too)."""
        from umgclip_mm.apis.inference import init_model
        return cls(init_model(config, checkpoint, device=device, cfg_options={'model.clip.init_cfg': None}), **kwargs)

    @torch.no_grad()
    def __call__(self, img: np.ndarray) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Proposals of one BGR image: boxes ``[K, 4]`` float32 (the masks' bounding boxes), masks ``[K, H, W]``
        bool and scores ``[K]`` float32, best first."""
        from mmengine.dataset import pseudo_collate
        data = self.model.data_preprocessor(pseudo_collate([self.pipeline(dict(img=img, img_id=0))]), False)
        cls_logits, mask_logits = self.model(data['inputs'], data['data_samples'], mode='tensor')
        cls_logits, mask_logits = cls_logits[-1][0], mask_logits[-1][0]  # the last layer: [Q, C + 1], [Q, h, w]
        meta = data['data_samples'][0].metainfo
        (pad_h, pad_w), (img_h, img_w) = meta['batch_input_shape'], meta['img_shape']
        logits = F.interpolate(mask_logits[None], size=(pad_h, pad_w), mode='bilinear', align_corners=False)
        logits = F.interpolate(logits[:, :, :img_h, :img_w], size=img.shape[:2], mode='bilinear',
                               align_corners=False)[0]
        masks = logits > 0
        probs = logits.sigmoid()
        quality = (probs * masks).flatten(1).sum(1) / masks.flatten(1).sum(1).clamp(min=1)
        scores = (1 - cls_logits.softmax(-1)[:, -1]) * quality
        keep, kept_masks = [], []
        for q in scores.argsort(descending=True).tolist():
            m = masks[q]
            area = int(m.sum())
            if area < self.min_area or float(scores[q]) < self.min_score:
                continue
            if any(float((m & k).sum()) / float((m | k).sum()) > self.dup_iou for k in kept_masks):
                continue
            keep.append(q)
            kept_masks.append(m)
            if len(keep) == self.max_proposals:
                break
        h, w = img.shape[:2]
        out = (torch.stack(kept_masks).cpu().numpy() if kept_masks else np.zeros((0, h, w), bool))
        return mask_boxes(out), out, scores[keep].float().cpu().numpy()
