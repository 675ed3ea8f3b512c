"""SampleCaptions: one caption per image, region and mask for this step."""
from typing import List

import numpy as np
from mmcv.transforms import BaseTransform

from umgclip_mm.registry import TRANSFORMS
from .umg_instances import loaded_instances


@TRANSFORMS.register_module()
class SampleCaptions(BaseTransform):
    """Pick one caption of the image (``results['caption']``, from ``captions``) and of each region and mask
    (a ``caption`` field, one string per item, added to the ``regions`` / ``masks`` InstanceData beside their
    ``captions``); an item without captions gets ``''`` (it then takes part in the tag losses only).

    Draws come from numpy's global generator (which mmengine seeds per worker) in a fixed order: the image, then
    each region, then each mask.

    Args:
        random (bool): Draw uniformly (training) or take the first caption (evaluation).
    """

    def __init__(self, random: bool = True):
        self.random = random

    def _pick(self, captions: List[str]) -> str:
        if not captions:
            return ''
        return captions[int(np.random.randint(len(captions)))] if self.random else captions[0]

    def transform(self, results: dict) -> dict:
        results['caption'] = self._pick(results.get('captions', []))
        for key in ('regions', 'masks'):
            instances = loaded_instances(results, key, 'SampleCaptions')
            if instances is not None:
                instances.caption = [self._pick(c) for c in instances.captions]
        return results
