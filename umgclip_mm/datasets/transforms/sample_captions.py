"""SampleCaptions: one caption per image, region and mask for this step."""
import numpy as np
from mmcv.transforms import BaseTransform

from umgclip_mm.registry import TRANSFORMS


@TRANSFORMS.register_module()
class SampleCaptions(BaseTransform):
    """Pick one caption of the image (``caption``), of each region (``region_caption``) and of each mask
    (``mask_caption``); an item without captions gets ``''`` (it then takes part in the tag losses only).

    Args:
        random (bool): Draw uniformly (training) or take the first caption (evaluation).
    """

    def __init__(self, random: bool = True):
        self.random = random

    def _pick(self, captions, rng) -> str:
        if not captions:
            return ''
        return captions[int(rng.randint(len(captions)))] if self.random else captions[0]

    def transform(self, results: dict) -> dict:
        rng = np.random  # the global generator, which mmengine seeds per worker
        results['caption'] = self._pick(results.get('captions', []), rng)
        results['region_caption'] = [self._pick(c, rng) for c in results.get('region_captions', [])]
        results['mask_caption'] = [self._pick(c, rng) for c in results.get('mask_captions', [])]
        return results
