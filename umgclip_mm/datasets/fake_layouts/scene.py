"""The synthetic photograph every fake layout is drawn from, and the small file writers the layouts share."""
import json
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from PIL import Image

# Images of each retrieval set: the retrieval configs report recall@10, which needs at least 10 (mmpretrain's
# RetrievalRecall fails with "selected index k out of range" on fewer).
RETRIEVAL_IMAGES = 10


class Scene:
    """One synthetic photograph: vertical bands of stuff classes with one rectangle (a thing) on each band.

    Args:
        rng (np.random.Generator): the random source.
        stuff (Sequence[int]): label of each band (any integers: class indices or ids).
        things (Sequence[int]): label of each rectangle (at most one per band).
        size (Tuple[int, int]): ``(width, height)`` of the image.
    """

    def __init__(self, rng: np.random.Generator, stuff: Sequence[int], things: Sequence[int],
                 size: Tuple[int, int] = (640, 480)):
        w, h = size
        self.labels = np.zeros((h, w), np.int64)
        self.image = np.zeros((h, w, 3), np.uint8)
        self.things: List[Tuple[int, np.ndarray]] = []
        self.stuff: List[Tuple[int, np.ndarray]] = []
        edges = np.linspace(0, w, len(stuff) + 1).astype(int)
        bands = []
        for k, label in enumerate(stuff):
            mask = np.zeros((h, w), np.uint8)
            mask[:, edges[k]:edges[k + 1]] = 1
            self._paint(rng, mask, label)
            bands.append((label, mask))
        for k, label in enumerate(things):
            x0, x1 = edges[k % len(stuff)], edges[k % len(stuff) + 1]
            bw, bh = max(8, (x1 - x0) // 2), h // 3
            x = int(rng.integers(x0, max(x0 + 1, x1 - bw)))
            y = int(rng.integers(0, h - bh))
            mask = np.zeros((h, w), np.uint8)
            mask[y:y + bh, x:x + bw] = 1
            self._paint(rng, mask, label)
            self.things.append((label, mask))
        covered = np.zeros((h, w), bool)
        for _, mask in self.things:
            covered |= mask.astype(bool)
        self.stuff = [(label, (mask.astype(bool) & ~covered).astype(np.uint8)) for label, mask in bands]

    def _paint(self, rng: np.random.Generator, mask: np.ndarray, label: int) -> None:
        m = mask.astype(bool)
        self.labels[m] = label
        colour = rng.integers(0, 256, 3)
        self.image[m] = np.clip(colour + rng.normal(0, 12, (int(m.sum()), 3)), 0, 255).astype(np.uint8)

    def save_image(self, path: str) -> Dict:
        """Write the image (JPEG by the suffix) and return its COCO ``images`` entry without ``id``."""
        os.makedirs(osp.dirname(path), exist_ok=True)
        Image.fromarray(self.image).save(path, quality=90)
        return dict(file_name=osp.basename(path), height=self.image.shape[0], width=self.image.shape[1])

    def label_map(self, mapping: Optional[Dict[int, int]] = None, dtype=np.uint8, fill: int = 0) -> np.ndarray:
        """The label map, each label replaced by ``mapping[label]`` (``fill`` for labels the mapping lacks)."""
        if mapping is None:
            return self.labels.astype(dtype)
        out = np.full(self.labels.shape, fill, np.int64)
        for src, dst in mapping.items():
            out[self.labels == src] = dst
        return out.astype(dtype)


def save_png(array: np.ndarray, path: str) -> None:
    """Write ``array`` as a PNG at ``path`` (its folder made)."""
    os.makedirs(osp.dirname(path), exist_ok=True)
    Image.fromarray(array).save(path)


def dump_json(data, path: str) -> None:
    """Write ``data`` as JSON at ``path`` (its folder made)."""
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        json.dump(data, f)


def pick(rng: np.random.Generator, n: int, k: int) -> List[int]:
    """``k`` distinct integers of ``range(n)``."""
    return [int(i) for i in rng.choice(n, size=k, replace=False)]
