"""RPNProposer: class-agnostic box proposals from an open-vocabulary detector's RPN (after its NMS)."""
from typing import Optional, Tuple

import numpy as np
import torch

from .array_pipeline import array_test_pipeline


class RPNProposer:
    """The boxes the RPN of an mmdet detector (e.g. :class:`OVTwoStageDetector`) proposes for an image, after the
    RPN's own NMS (``test_cfg.rpn``), in the image's pixels, with their objectness.

    The image goes through the detector config's test pipeline (its loader swapped for mmdet's
    ``LoadImageFromNDArray``, annotation loading dropped) and data preprocessor, as ``mmdet.apis.inference_detector``
    does; only the neck and RPN run, not the RoI head.

    Args:
        detector (nn.Module): An mmdet two-stage detector with ``cfg`` set (as ``init_model`` returns it).
        max_proposals (int): Keep the best this many proposals.
        min_score (float): Drop proposals of lower objectness.
    """

    def __init__(self, detector, max_proposals: int = 100, min_score: float = 0.0):
        if not hasattr(detector, 'rpn_head'):
            raise TypeError(f'{type(detector).__name__} has no RPN: give a two-stage detector config '
                            '(configs/quickstart/detection_synthetic.py)')
        self.detector = detector.eval()
        self.max_proposals, self.min_score = max_proposals, min_score
        self.pipeline = array_test_pipeline(detector.cfg)

    @classmethod
    def from_config(cls, config: str, checkpoint: Optional[str] = None, device: str = 'cpu',
                    **kwargs) -> 'RPNProposer':
        """Build the detector of a config with a checkpoint (the frozen tower's ``init_cfg`` is not followed: the
        detector checkpoint holds the tower too)."""
        from umgclip_mm.apis.inference import init_model
        return cls(init_model(config, checkpoint, device=device, cfg_options={'model.clip.init_cfg': None}), **kwargs)

    @torch.no_grad()
    def __call__(self, img: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """Proposals of one BGR image: boxes ``[K, 4]`` float32 xyxy and objectness ``[K]`` float32."""
        from mmengine.dataset import pseudo_collate
        data = self.pipeline(dict(img=img, img_id=0))
        data = self.detector.data_preprocessor(pseudo_collate([data]), False)
        feats = self.detector.extract_feat(data['inputs'])
        result = self.detector.rpn_head.predict(feats, data['data_samples'], rescale=True)[0]
        keep = result.scores >= self.min_score
        order = result.scores[keep].argsort(descending=True)[:self.max_proposals]
        boxes = result.bboxes[keep][order].float().cpu().numpy()
        h, w = img.shape[:2]
        boxes = np.clip(boxes, 0, [w, h, w, h]).astype(np.float32)
        return boxes, result.scores[keep][order].float().cpu().numpy()
