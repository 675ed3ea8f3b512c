"""PackUMGInputs: the image tensor and a data sample with every level's annotations."""
import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmengine.structures import BaseDataElement

from umgclip_mm.registry import TRANSFORMS


@TRANSFORMS.register_module()
class PackUMGInputs(BaseTransform):
    """Pack ``img`` as a ``[3, H, W]`` uint8 tensor (``inputs``) and the annotations as a ``BaseDataElement``.

    Data fields of the sample: ``caption`` (str), ``tags`` (list[str]); ``region_boxes`` (float ``[K, 4]``, xyxy in
    input pixels), ``region_caption`` (K str), ``region_tags`` (K lists); ``masks`` (bool ``[M, H, W]`` at input
    size), ``mask_caption``, ``mask_tags``. Meta: ``img_path``, ``source``, ``ori_shape``, ``img_shape``.

    Args:
        meta_keys (tuple[str]): Keys copied into the sample's metainfo when present.
    """

    def __init__(self, meta_keys=('img_path', 'source', 'sample_idx', 'ori_shape', 'img_shape', 'flip')):
        self.meta_keys = meta_keys

    def transform(self, results: dict) -> dict:
        img = results['img']
        inputs = torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1)))
        h, w = img.shape[:2]
        masks = results.get('gt_masks', np.zeros((0, h, w), np.uint8))
        sample = BaseDataElement(
            metainfo={k: results[k] for k in self.meta_keys if k in results},
            caption=results.get('caption', ''),
            tags=list(results.get('tags', [])),
            region_boxes=torch.from_numpy(results.get('gt_bboxes', np.zeros((0, 4), np.float32))).float(),
            region_caption=list(results.get('region_caption', [''] * len(results.get('gt_bboxes', [])))),
            region_tags=list(results.get('region_tags', [])),
            masks=torch.from_numpy(np.ascontiguousarray(masks)).bool(),
            mask_caption=list(results.get('mask_caption', [''] * len(masks))),
            mask_tags=list(results.get('mask_tags', [])))
        return dict(inputs=inputs, data_samples=sample)
