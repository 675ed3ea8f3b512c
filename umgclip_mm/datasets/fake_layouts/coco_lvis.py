"""The detection benchmarks' official layouts: COCO 2017 (instances, panoptic, Karpathy captions) and LVIS v1."""
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..toy_world import _rle_and_box
from .scene import RETRIEVAL_IMAGES, Scene, dump_json, pick, save_png

# COCO 2017's 80 instance category ids, in the order of the files (= mmdet's ``CocoDataset`` classes).
COCO_INSTANCE_IDS = [
    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 27, 28, 31, 32, 33, 34, 35,
    36, 37, 38, 39, 40, 41, 42, 43, 44, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64, 65,
    67, 70, 72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 82, 84, 85, 86, 87, 88, 89, 90
]
# COCO panoptic's 53 stuff category ids (panoptic_coco_categories.json), in the order of mmdet's
# ``CocoPanopticDataset.METAINFO['stuff_classes']``; its things keep the instance ids above.
COCO_PANOPTIC_STUFF_IDS = [
    92, 93, 95, 100, 107, 109, 112, 118, 119, 122, 125, 128, 130, 133, 138, 141, 144, 145, 147, 148, 149, 151, 154,
    155, 156, 159, 161, 166, 168, 171, 175, 176, 177, 178, 180, 181, 184, 185, 186, 187, 188, 189, 190, 191, 192, 193,
    194, 195, 196, 197, 198, 199, 200
]


def coco_instance_categories() -> List[Dict]:
    """COCO 2017's 80 ``categories`` entries (id, name, supercategory), names as mmdet's ``CocoDataset``."""
    from mmdet.datasets import CocoDataset
    return [dict(id=i, name=n, supercategory='x') for i, n in zip(COCO_INSTANCE_IDS, CocoDataset.METAINFO['classes'])]


def write_coco(data: str, num_images: int = 2, size: Tuple[int, int] = (640, 480), seed: int = 0) -> None:
    """COCO 2017 under ``data/coco``: ``{train,val}2017/*.jpg``, ``annotations/instances_{train,val}2017.json``,
    ``annotations/panoptic_{train,val}2017.json`` with their PNGs, and the Karpathy test split of COCO captions in
    COCO's captions format (``annotations/caption_karpathy_test2014.json``: ``images`` with ``coco_url``,
    ``annotations`` with ``caption``; images under ``val2014/``), as mmpretrain's ``COCORetrieval`` reads it.

    Args:
        data (str): the folder that plays ``data/``.
        num_images (int): images per split.
        size (Tuple[int, int]): image ``(width, height)``.
        seed (int): random seed.
    """
    from mmdet.datasets import CocoPanopticDataset
    from panopticapi.utils import id2rgb
    root = osp.join(data, 'coco')
    meta = CocoPanopticDataset.METAINFO
    things, stuff = list(meta['thing_classes']), list(meta['stuff_classes'])
    pan_ids = dict(zip(things, COCO_INSTANCE_IDS)) | dict(zip(stuff, COCO_PANOPTIC_STUFF_IDS))
    pan_cats = [dict(id=pan_ids[n], name=n, isthing=int(n in things), supercategory='x',
                     color=[int(c) for c in np.random.default_rng(i).integers(0, 256, 3)])
                for i, n in enumerate(things + stuff)]
    for split_no, split in enumerate(('train', 'val')):
        images, inst, pan = [], [], []
        for k in range(num_images):
            rng = np.random.default_rng([seed, split_no, k])
            image_id = 1 + k + 1000 * split_no
            # thing classes 0 and 5 (person, bus: one seen, one unseen in OV-COCO) and random others
            thing_ids = [COCO_INSTANCE_IDS[i] for i in [0, 5] + pick(rng, 80, 1)]
            scene = Scene(rng, [COCO_PANOPTIC_STUFF_IDS[i] for i in pick(rng, 53, 3)], thing_ids, size)
            entry = scene.save_image(osp.join(root, f'{split}2017', f'{image_id:012d}.jpg'))
            images.append(dict(entry, id=image_id))
            segments, pan_map = [], np.zeros(scene.labels.shape, np.int64)
            for j, (cat, mask) in enumerate(scene.things + scene.stuff):
                rle, box = _rle_and_box(mask)
                if j < len(scene.things):
                    inst.append(dict(id=len(inst) + 1 + 1000 * split_no, image_id=image_id, category_id=cat, bbox=box,
                                     area=int(mask.sum()), segmentation=rle, iscrowd=0))
                seg_id = image_id * 100 + j + 1
                pan_map[mask.astype(bool)] = seg_id
                segments.append(dict(id=seg_id, category_id=cat, iscrowd=0, bbox=box, area=int(mask.sum())))
            png = f'{image_id:012d}.png'
            save_png(id2rgb(pan_map), osp.join(root, 'annotations', f'panoptic_{split}2017', png))
            pan.append(dict(image_id=image_id, file_name=png, segments_info=segments))
        info = dict(description=f'fake COCO {split}2017 (umgclip_mm.datasets.fake_layouts)')
        dump_json(dict(info=info, licenses=[], images=images, annotations=inst, categories=coco_instance_categories()),
                  osp.join(root, 'annotations', f'instances_{split}2017.json'))
        dump_json(dict(info=info, licenses=[], images=images, annotations=pan, categories=pan_cats),
                  osp.join(root, 'annotations', f'panoptic_{split}2017.json'))
    images, captions = [], []
    for k in range(max(num_images, RETRIEVAL_IMAGES)):
        rng = np.random.default_rng([seed, 9, k])
        image_id = 391895 + k
        name = f'val2014/COCO_val2014_{image_id:012d}.jpg'
        entry = Scene(rng, pick(rng, 50, 3), pick(rng, 50, 1), size).save_image(osp.join(root, name))
        images.append(dict(entry, id=image_id, coco_url=f'http://images.cocodataset.org/{name}'))
        captions += [dict(id=image_id * 10 + c, image_id=image_id, caption=f'picture {k}, caption {c}: bands and a box')
                     for c in range(5)]
    dump_json(dict(images=images, annotations=captions),
              osp.join(root, 'annotations', 'caption_karpathy_test2014.json'))


def write_lvis(data: str, rare_classes: Optional[Sequence[str]] = None, num_images: int = 2,
               size: Tuple[int, int] = (640, 480), seed: int = 0) -> None:
    """LVIS v1 under ``data/lvis_v1``: ``annotations/lvis_v1_{train,val}.json`` with all 1203 categories (the
    ``frequency`` ``r`` for ``rare_classes``, else ``f``) and the images where their ``coco_url`` puts them
    (``train2017/``, ``val2017/``). ``prepare_ov_lvis.py`` then writes ``lvis_v1_train_norare.json``.

    Args:
        data (str): the folder that plays ``data/``.
        rare_classes (Sequence[str], optional): names of the rare classes (mmdet's spelling or the class
            list's words); default: the shipped class list ``lvis_v1_rare_337``.
        num_images (int): images per split.
        size (Tuple[int, int]): image ``(width, height)``.
        seed (int): random seed.
    """
    from mmdet.datasets import LVISV1Dataset

    from ...vocabulary.vocabulary import name_key, read_class_list
    from ..ov_lvis_dataset import _MMDET_SPELLING
    if rare_classes is None:
        rare_classes = read_class_list('lvis_v1_rare_337')
    file_spelling = {v: k for k, v in _MMDET_SPELLING.items()}
    names = list(LVISV1Dataset.METAINFO['classes'])
    rare_keys = {name_key(n) for n in rare_classes}
    rare = {n for n in names if name_key(n) in rare_keys}
    cats = [dict(id=i + 1, name=file_spelling.get(n, n), synset='x.n.01', frequency='r' if n in rare else 'f',
                 image_count=1, instance_count=1) for i, n in enumerate(names)]
    rare_ids = [c['id'] for c in cats if c['frequency'] == 'r']
    root = osp.join(data, 'lvis_v1')
    for split_no, split in enumerate(('train', 'val')):
        images, anns = [], []
        for k in range(num_images):
            rng = np.random.default_rng([seed, 20 + split_no, k])
            image_id = 1 + k + 1000 * split_no
            labels = [rare_ids[k % len(rare_ids)], int(rng.integers(1, 1204))] if rare_ids else [1]
            scene = Scene(rng, [0, 0], labels, size)
            entry = scene.save_image(osp.join(root, f'{split}2017', f'{image_id:012d}.jpg'))
            images.append(dict(id=image_id, height=entry['height'], width=entry['width'], neg_category_ids=[],
                               not_exhaustive_category_ids=[],
                               coco_url=f'http://images.cocodataset.org/{split}2017/{image_id:012d}.jpg'))
            for cat, mask in scene.things:
                rle, box = _rle_and_box(mask)
                x, y, w, h = box
                anns.append(dict(id=len(anns) + 1 + 1000 * split_no, image_id=image_id, category_id=cat, bbox=box,
                                 area=float(mask.sum()), segmentation=[[x, y, x + w, y, x + w, y + h, x, y + h]]))
        dump_json(dict(info={}, licenses=[], images=images, annotations=anns, categories=cats),
                  osp.join(root, 'annotations', f'lvis_v1_{split}.json'))
