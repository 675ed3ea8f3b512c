"""Fixtures of the search tests: a tiny random-weight UMG-CLIP, and a collection of small images written in the UMG
JSON-lines format with boxes, masks and captions."""
import json
import os.path as osp

import cv2
import numpy as np
import pytest
from pycocotools import mask as mask_utils

CAPTIONS = ('a red thing', 'a blue thing', 'a green thing', 'a striped thing', 'the background')


def write_collection(folder, num=5, size=(40, 48), seed=0):
    """``num`` random images (h, w = ``size``) under ``folder/images`` and ``folder/umg.jsonl`` listing them with 1-3
    captioned boxes and 1-2 captioned masks each; returns the JSON-lines path."""
    rng = np.random.default_rng(seed)
    h, w = size
    (folder / 'images').mkdir(parents=True, exist_ok=True)
    lines = []
    for i in range(num):
        img = rng.integers(0, 255, (h, w, 3), np.uint8)
        cv2.imwrite(str(folder / 'images' / f'img{i}.png'), img)
        regions = []
        for _ in range(int(rng.integers(1, 4))):
            x1, y1 = rng.uniform(0, w - 12), rng.uniform(0, h - 12)
            regions.append(dict(bbox=[round(x1, 1), round(y1, 1), round(min(w, x1 + rng.uniform(8, 30)), 1),
                                      round(min(h, y1 + rng.uniform(8, 30)), 1)],
                                captions=[CAPTIONS[int(rng.integers(4))]]))
        masks = []
        for _ in range(int(rng.integers(1, 3))):
            m = np.zeros((h, w), np.uint8)
            cv2.ellipse(m, (int(rng.integers(8, w - 8)), int(rng.integers(8, h - 8))),
                        (int(rng.integers(3, 12)), int(rng.integers(3, 12))), 0, 0, 360, 1, -1)
            rle = mask_utils.encode(np.asfortranarray(m))
            masks.append(dict(segmentation=dict(size=list(rle['size']), counts=rle['counts'].decode()),
                              captions=[CAPTIONS[int(rng.integers(5))]]))
        lines.append(dict(image=f'images/img{i}.png', height=h, width=w, captions=['an image'], regions=regions,
                          masks=masks))
    path = folder / 'umg.jsonl'
    path.write_text(''.join(json.dumps(r) + '\n' for r in lines))
    return str(path)


@pytest.fixture
def tiny_clip(tiny_model_cfg):
    from umgclip_mm.apis.inference import init_model
    return init_model(dict(model=tiny_model_cfg))


@pytest.fixture
def collection(tmp_path):
    return write_collection(tmp_path / 'data')


@pytest.fixture
def tiny_files(tmp_path, tiny_model_cfg):
    """A config file of the tiny UMG-CLIP and two random checkpoints of it: ``(config, ckpt_a, ckpt_b)``."""
    import torch

    from umgclip_mm.apis.inference import init_model
    config = tmp_path / 'tiny_umgclip.py'
    config.write_text(f'model = {tiny_model_cfg!r}\n')
    ckpts = []
    for seed in (0, 1):
        torch.manual_seed(seed)
        model = init_model(dict(model=tiny_model_cfg))
        ckpts.append(str(tmp_path / f'tiny_{seed}.pth'))
        torch.save(dict(state_dict=model.state_dict()), ckpts[-1])
    return str(config), ckpts[0], ckpts[1]


def image_path(collection_file, i):
    return osp.join(osp.dirname(collection_file), 'images', f'img{i}.png')
