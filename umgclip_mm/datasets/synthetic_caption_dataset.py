"""SyntheticCaptionDataset: procedurally drawn image-caption pairs, generated in memory, for smoke runs."""
from typing import Optional

import cv2
import numpy as np
import torch
from mmengine.structures import BaseDataElement
from torch.utils.data import Dataset

from umgclip_mm.registry import DATASETS

COLOURS = {  # BGR, as mmcv loads images
    'red': (40, 40, 220), 'green': (40, 200, 40), 'blue': (220, 60, 30), 'yellow': (30, 220, 230),
    'purple': (160, 40, 150), 'white': (245, 245, 245)
}
SHAPES = ('square', 'circle', 'triangle')


@DATASETS.register_module()
class SyntheticCaptionDataset(Dataset):
    """Image-caption pairs drawn on the fly: one coloured shape on a plain background, captioned in words.

    Sample ``i`` is a pure function of ``(seed, i)``, so every worker and every rank agrees. Each item is
    ``dict(inputs=uint8 [3, H, W] BGR tensor, data_samples=BaseDataElement(caption=str))``, the format the model's
    data preprocessor takes.

    Args:
        num_samples (int): Length of the data set.
        img_size (int): Side of the square images.
        seed (int): Seed of the generator.
        serialize_data (bool, optional): Accepted for config compatibility with mmengine datasets; unused.
    """

    def __init__(self, num_samples: int = 256, img_size: int = 32, seed: int = 0,
                 serialize_data: Optional[bool] = None):
        self.num_samples = num_samples
        self.img_size = img_size
        self.seed = seed
        self.metainfo = dict(colours=tuple(COLOURS), shapes=SHAPES)

    def __len__(self) -> int:
        return self.num_samples

    def draw(self, index: int):
        """Image (``[H, W, 3]`` uint8 BGR) and caption of sample ``index``."""
        rng = np.random.default_rng([self.seed, index])
        names = list(COLOURS)
        colour, background = rng.choice(len(names), size=2, replace=False)
        shape = SHAPES[rng.integers(len(SHAPES))]
        s = self.img_size
        img = np.empty((s, s, 3), np.uint8)
        img[:] = COLOURS[names[background]]
        half = int(rng.integers(s // 5, s // 3))
        cx, cy = (int(v) for v in rng.integers(half, s - half, size=2))
        fill = COLOURS[names[colour]]
        if shape == 'square':
            cv2.rectangle(img, (cx - half, cy - half), (cx + half, cy + half), fill, -1)
        elif shape == 'circle':
            cv2.circle(img, (cx, cy), half, fill, -1)
        else:
            pts = np.array([[cx, cy - half], [cx - half, cy + half], [cx + half, cy + half]], np.int32)
            cv2.fillPoly(img, [pts], fill)
        return img, f'a {names[colour]} {shape} on a {names[background]} background'

    def __getitem__(self, index: int) -> dict:
        img, caption = self.draw(index)
        inputs = torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1)))
        return dict(inputs=inputs, data_samples=BaseDataElement(caption=caption))
