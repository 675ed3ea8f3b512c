"""A deterministic toy world in the real formats: the project's embedded default data set.

Scenes are two "stuff" backgrounds (sky, grass, water, ...) split by a wavy horizon, with one to four coloured,
textured "thing" shapes painted over them. Every scene is written as

- a UMG pretraining record (``umg/{split}.jsonl``): image caption and tags; one region per thing (tight box,
  captions, tags); one mask per thing and per visible stuff (COCO RLE, captions, tags);
- COCO panoptic (``annotations/panoptic_{split}.json`` + PNGs in ``annotations/panoptic_{split}/``);
- COCO instances of the things (``annotations/instances_{split}.json``: box ``[x, y, w, h]``, RLE mask, area;
  the 8 thing categories with the panoptic file's ids), for detection and instance segmentation;
- semantic segmentation label maps (``semantic/{split}/*.png``, class index, 255 = unlabelled);

with the vocabulary in ``vocab/classes.txt`` and its split into ``vocab/seen.txt`` / ``vocab/unseen.txt``
(downstream models train on seen classes and are evaluated on both).
"""
import json
import os
import os.path as osp
from typing import Dict, List, Tuple

import cv2
import numpy as np
from panopticapi.utils import id2rgb
from pycocotools import mask as mask_utils

COLOURS = {  # RGB
    'red': (220, 40, 40), 'green': (40, 180, 60), 'blue': (40, 80, 220), 'yellow': (235, 210, 40),
    'purple': (150, 50, 170), 'orange': (245, 140, 30), 'white': (245, 245, 245), 'black': (25, 25, 25)
}
THINGS = ('circle', 'square', 'triangle', 'star', 'ring', 'cross', 'diamond', 'hexagon')
STUFF = {  # name: (base RGB, texture)
    'sky': ((130, 180, 235), 'smooth'), 'grass': ((70, 140, 50), 'noise'), 'water': ((40, 90, 160), 'waves'),
    'sand': ((210, 190, 130), 'noise'), 'wall': ((150, 120, 110), 'bricks')
}
TEXTURES = ('plain', 'striped', 'dotted')
UNSEEN = ('star', 'hexagon', 'sand')  # held out from downstream training


def classes() -> List[Tuple[str, bool]]:
    """The vocabulary: ``(name, is_thing)``, things first (COCO panoptic order)."""
    return [(t, True) for t in THINGS] + [(s, False) for s in STUFF]


def _shape_mask(kind: str, cx: int, cy: int, r: int, size: int) -> np.ndarray:
    m = np.zeros((size, size), np.uint8)
    if kind == 'circle':
        cv2.circle(m, (cx, cy), r, 1, -1)
    elif kind == 'ring':
        cv2.circle(m, (cx, cy), r, 1, -1)
        cv2.circle(m, (cx, cy), max(r // 2, 1), 0, -1)
    elif kind == 'square':
        cv2.rectangle(m, (cx - r, cy - r), (cx + r, cy + r), 1, -1)
    elif kind == 'cross':
        t = max(r // 3, 1)
        cv2.rectangle(m, (cx - r, cy - t), (cx + r, cy + t), 1, -1)
        cv2.rectangle(m, (cx - t, cy - r), (cx + t, cy + r), 1, -1)
    else:
        if kind == 'triangle':
            ang = np.deg2rad([-90, 30, 150])
            rad = np.full(3, r)
        elif kind == 'diamond':
            ang = np.deg2rad([-90, 0, 90, 180])
            rad = np.array([r, 0.7 * r, r, 0.7 * r])
        elif kind == 'hexagon':
            ang = np.deg2rad(np.arange(6) * 60)
            rad = np.full(6, r)
        else:  # star
            ang = np.deg2rad(np.arange(10) * 36 - 90)
            rad = np.where(np.arange(10) % 2 == 0, r, 0.45 * r)
        pts = np.stack([cx + rad * np.cos(ang), cy + rad * np.sin(ang)], 1).round().astype(np.int32)
        cv2.fillPoly(m, [pts], 1)
    return m


def _texture(kind: str, base, size: int, rng: np.random.Generator) -> np.ndarray:
    img = np.empty((size, size, 3), np.float32)
    img[:] = base
    yy, xx = np.mgrid[:size, :size]
    if kind in ('noise', ):
        img += rng.normal(0, 18, (size, size, 1))
    elif kind == 'waves':
        img += 25 * np.sin(xx / 5.0 + 2 * np.sin(yy / 9.0))[..., None]
    elif kind == 'bricks':
        mortar = ((yy % 12) < 2) | (((xx + 12 * ((yy // 12) % 2)) % 24) < 2)
        img[mortar] = (200, 200, 190)
    elif kind == 'striped':
        img[((xx + yy) // 4) % 2 == 0] *= 0.55
    elif kind == 'dotted':
        img[((xx % 6) < 2) & ((yy % 6) < 2)] *= 0.4
    return img


def make_scene(rng: np.random.Generator, size: int) -> Tuple[np.ndarray, np.ndarray, List[Dict]]:
    """Draw one scene.

    Returns:
        tuple: RGB image ``[size, size, 3]`` uint8, an id map ``[size, size]`` (segment index + 1) and the segments
        (dicts with ``name``, ``is_thing``, ``colour``, ``texture``, ``mask``).
    """
    stuff_names = list(STUFF)
    upper, lower = (stuff_names[i] for i in rng.choice(len(stuff_names), 2, replace=False))
    horizon = (size * rng.uniform(0.3, 0.6) + 4 * np.sin(np.arange(size) / rng.uniform(6, 14))).astype(int)
    upper_mask = (np.arange(size)[:, None] < horizon[None, :]).astype(np.uint8)
    img = np.where(upper_mask[..., None] == 1, _texture(STUFF[upper][1], STUFF[upper][0], size, rng),
                   _texture(STUFF[lower][1], STUFF[lower][0], size, rng))
    segments = [dict(name=upper, is_thing=False, mask=upper_mask),
                dict(name=lower, is_thing=False, mask=1 - upper_mask)]
    for _ in range(int(rng.integers(1, 5))):
        kind = THINGS[int(rng.integers(len(THINGS)))]
        colour = list(COLOURS)[int(rng.integers(len(COLOURS)))]
        texture = TEXTURES[int(rng.integers(len(TEXTURES)))]
        r = int(rng.integers(size // 10, size // 4))
        cx, cy = (int(v) for v in rng.integers(r, size - r, 2))
        m = _shape_mask(kind, cx, cy, r, size)
        img = np.where(m[..., None] == 1, _texture(texture, COLOURS[colour], size, rng), img)
        segments.append(dict(name=kind, is_thing=True, colour=colour, texture=texture, mask=m))
    # paint order decides visibility: later segments cover earlier ones
    ids = np.zeros((size, size), np.int32)
    for i, seg in enumerate(segments):
        ids[seg['mask'] == 1] = i + 1
    visible = []
    for i, seg in enumerate(segments):
        seg['mask'] = (ids == i + 1).astype(np.uint8)
        if seg['mask'].sum() >= 16:
            visible.append(seg)
        else:
            ids[ids == i + 1] = 0
    return np.clip(img, 0, 255).astype(np.uint8), ids, visible


def describe(seg: Dict) -> Tuple[List[str], List[str]]:
    """Captions and tags of one segment."""
    if not seg['is_thing']:
        return [f"the {seg['name']}", f"{seg['name']} in the background"], [seg['name']]
    texture = '' if seg['texture'] == 'plain' else seg['texture'] + ' '
    return ([f"a {seg['colour']} {seg['name']}", f"a {texture}{seg['colour']} {seg['name']}"],
            [seg['name'], seg['colour']])


def _rle_and_box(mask: np.ndarray) -> Tuple[dict, List[float]]:
    """A bitmap's COCO RLE (JSON-ready) and tight box ``[x, y, w, h]`` (pycocotools' ``toBbox``)."""
    rle = mask_utils.encode(np.asfortranarray(mask))
    box = [float(v) for v in mask_utils.toBbox(rle)]
    return dict(size=[int(v) for v in rle['size']], counts=rle['counts'].decode('ascii')), box


def generate(out_dir: str, num_train: int = 2000, num_val: int = 100, size: int = 128, seed: int = 0) -> Dict:
    """Write the toy data set to ``out_dir``; returns a summary (counts per split and the file paths)."""
    vocab = classes()
    cat_ids = {name: i + 1 for i, (name, _) in enumerate(vocab)}
    os.makedirs(osp.join(out_dir, 'vocab'), exist_ok=True)
    with open(osp.join(out_dir, 'vocab', 'classes.txt'), 'w') as f:
        f.writelines(f'{name}\n' for name, _ in vocab)
    with open(osp.join(out_dir, 'vocab', 'seen.txt'), 'w') as f:
        f.writelines(f'{name}\n' for name, _ in vocab if name not in UNSEEN)
    with open(osp.join(out_dir, 'vocab', 'unseen.txt'), 'w') as f:
        f.writelines(f'{name}\n' for name, _ in vocab if name in UNSEEN)
    summary = dict(out_dir=out_dir)
    palette = np.random.default_rng(seed).integers(0, 255, (len(vocab), 3))
    for split_id, (split, num) in enumerate((('train', num_train), ('val', num_val))):
        for sub in (f'images/{split}', f'annotations/panoptic_{split}', f'semantic/{split}', 'umg'):
            os.makedirs(osp.join(out_dir, sub), exist_ok=True)
        images, annotations, instances = [], [], []
        n_regions = n_masks = 0
        with open(osp.join(out_dir, 'umg', f'{split}.jsonl'), 'w') as jl:
            for idx in range(num):
                rng = np.random.default_rng([seed, split_id, idx])
                img, ids, segments = make_scene(rng, size)
                name = f'{split}_{idx:06d}'
                cv2.imwrite(osp.join(out_dir, 'images', split, name + '.png'), img[..., ::-1])
                things = [s for s in segments if s['is_thing']]
                stuff = [s for s in segments if not s['is_thing']]
                thing_words = [describe(s)[0][0] for s in things]
                where = ' and '.join(s['name'] for s in stuff)
                captions = [f"{', '.join(thing_words)} over {where}" if thing_words else f'an empty scene of {where}',
                            f"a picture with {len(things)} shape{'s' if len(things) != 1 else ''}"]
                tags = sorted({t for s in segments for t in describe(s)[1]})
                rec = dict(image=f'images/{split}/{name}.png', height=size, width=size, captions=captions, tags=tags,
                           regions=[], masks=[])
                # COCO panoptic: a PNG of segment ids (panopticapi's id2rgb), a semantic map of class indices
                pan_ids = np.zeros((size, size), np.int64)
                sem = np.full((size, size), 255, np.uint8)
                infos = []
                for k, s in enumerate(segments):
                    caps, stags = describe(s)
                    rle, (x, y, w, h) = _rle_and_box(s['mask'])
                    if s['is_thing']:
                        rec['regions'].append(dict(bbox=[x, y, x + w, y + h], captions=caps, tags=stags))
                        instances.append(dict(id=len(instances) + 1, image_id=idx, category_id=cat_ids[s['name']],
                                              segmentation=rle, area=int(s['mask'].sum()), bbox=[x, y, w, h],
                                              iscrowd=0))
                    rec['masks'].append(dict(segmentation=rle, captions=caps, tags=stags))
                    seg_id = (idx * 16 + k + 1) % (256**3)
                    m = s['mask'] == 1
                    pan_ids[m] = seg_id
                    sem[m] = cat_ids[s['name']] - 1
                    infos.append(dict(id=seg_id, category_id=cat_ids[s['name']], iscrowd=0, area=int(m.sum()),
                                      bbox=[x, y, w, h]))
                n_regions += len(rec['regions'])
                n_masks += len(rec['masks'])
                jl.write(json.dumps(rec) + '\n')
                cv2.imwrite(osp.join(out_dir, 'annotations', f'panoptic_{split}', name + '.png'),
                            id2rgb(pan_ids)[..., ::-1])
                cv2.imwrite(osp.join(out_dir, 'semantic', split, name + '.png'), sem)
                images.append(dict(id=idx, file_name=name + '.png', height=size, width=size))
                annotations.append(dict(image_id=idx, file_name=name + '.png', segments_info=infos))
        categories = [dict(id=cat_ids[n], name=n, isthing=int(t), supercategory='thing' if t else 'stuff',
                           color=[int(c) for c in palette[i]]) for i, (n, t) in enumerate(vocab)]
        with open(osp.join(out_dir, 'annotations', f'panoptic_{split}.json'), 'w') as f:
            json.dump(dict(images=images, annotations=annotations, categories=categories), f)
        with open(osp.join(out_dir, 'annotations', f'instances_{split}.json'), 'w') as f:
            json.dump(dict(images=images, annotations=instances,
                           categories=[dict(id=cat_ids[n], name=n, supercategory='thing') for n, t in vocab if t]), f)
        summary[split] = dict(images=num, regions=n_regions, masks=n_masks)
    return summary
