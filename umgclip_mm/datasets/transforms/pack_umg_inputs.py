"""PackUMGInputs: the image tensor and a data sample whose regions and masks are InstanceData of tensors."""
from typing import Optional, Sequence

import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmengine.structures import BaseDataElement, InstanceData

from umgclip_mm.registry import TRANSFORMS
from .umg_instances import loaded_instances


def pack_instances(instances: Optional[InstanceData], geometry: str, empty: np.ndarray,
                   dtype: torch.dtype) -> InstanceData:
    """``InstanceData(<geometry>=tensor of dtype, caption=list[str], tags=list[list[str]])`` of the transforms'
    ``instances`` (``None``: no items, ``empty`` geometry). A missing ``caption`` (no ``SampleCaptions`` in the
    pipeline) is ``''`` per item, missing ``tags`` ``[]``."""
    if instances is None:
        instances = InstanceData(**{geometry: empty})
    n = len(instances)
    array = np.ascontiguousarray(instances.get(geometry, empty))
    return InstanceData(**{geometry: torch.from_numpy(array).to(dtype)},
                        caption=list(instances.get('caption', [''] * n)),
                        tags=[list(t) for t in instances.get('tags', [[]] * n)])


@TRANSFORMS.register_module()
class PackUMGInputs(BaseTransform):
    """Pack ``img`` as a ``[3, H, W]`` uint8 tensor (``inputs``) and the annotations as a ``BaseDataElement``.

    Data fields of the sample: ``caption`` (str) and ``tags`` (list[str]) of the image; ``regions`` =
    ``InstanceData(bboxes=float32 [K, 4] xyxy in input pixels, caption=K str, tags=K lists of str)``; ``masks`` =
    ``InstanceData(masks=bool [M, H, W] at input size, caption=M str, tags=M lists)``. Both are always present
    (empty when the record has no such items). Meta: the ``meta_keys`` found in the results.

    A plain ``BaseDataElement`` rather than a subclass: mmengine already nests ``InstanceData`` in it (moved to
    the device with the sample by the data preprocessor, turned into dicts for metrics), and ``UMGCLIP`` checks the
    fields it reads.

    Args:
        meta_keys (Sequence[str]): Keys copied into the sample's metainfo when present.
    """

    def __init__(self, meta_keys: Sequence[str] = ('img_path', 'source', 'sample_idx', 'ori_shape', 'img_shape',
                                                   'flip')):
        self.meta_keys = tuple(meta_keys)

    def transform(self, results: dict) -> dict:
        img = results['img']
        h, w = img.shape[:2]
        regions = loaded_instances(results, 'regions', 'PackUMGInputs')
        masks = loaded_instances(results, 'masks', 'PackUMGInputs')
        sample = BaseDataElement(
            metainfo={k: results[k] for k in self.meta_keys if k in results},
            caption=results.get('caption', ''),
            tags=list(results.get('tags', [])),
            regions=pack_instances(regions, 'bboxes', np.zeros((0, 4), np.float32), torch.float32),
            masks=pack_instances(masks, 'masks', np.zeros((0, h, w), np.uint8), torch.bool))
        inputs = torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1)))
        return dict(inputs=inputs, data_samples=sample)
