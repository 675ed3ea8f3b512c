"""The semantic and panoptic segmentation benchmarks' official layouts: COCO-Stuff, ADE20K (150, panoptic and the
full release that ADE20K-847 is made from), PASCAL VOC and PASCAL Context."""
import os
import os.path as osp
import pickle
from typing import Tuple

import numpy as np

from ..toy_world import _rle_and_box
from .scene import Scene, dump_json, pick, save_png

# Two object ids of ADE20K's full release (index_ade20k.pkl's ``objectnames``, 1-based): "wall" and "tube", which
# prepare_ade20k_847.py maps to A-847 classes 0 and 412; id 3 is none of the 847 (ignored).
ADE20K_FULL_WALL, ADE20K_FULL_TUBE, ADE20K_FULL_UNLISTED = 2978, 1885, 3


def write_coco_stuff(data: str, num_images: int = 2, size: Tuple[int, int] = (640, 480), seed: int = 0) -> None:
    """COCO-Stuff-164k as mmseg reads it (``data/coco_stuff164k``): ``images/{train,val}2017/*.jpg`` and
    ``annotations/{train,val}2017/*_labelTrainIds.png`` (class index 0..170, 255 ignored).

    Args:
        data (str): the folder that plays ``data/``.
        num_images (int): images per split.
        size (Tuple[int, int]): image ``(width, height)``.
        seed (int): random seed.
    """
    root = osp.join(data, 'coco_stuff164k')
    for split_no, split in enumerate(('train2017', 'val2017')):
        for k in range(num_images):
            rng = np.random.default_rng([seed, 30 + split_no, k])
            scene = Scene(rng, pick(rng, 171, 3), pick(rng, 171, 2), size)
            stem = f'{1 + k + 1000 * split_no:012d}'
            scene.save_image(osp.join(root, 'images', split, stem + '.jpg'))
            save_png(scene.label_map(), osp.join(root, 'annotations', split, stem + '_labelTrainIds.png'))


def write_ade20k(data: str, num_images: int = 2, size: Tuple[int, int] = (640, 480), seed: int = 0) -> None:
    """ADE20K (SceneParsing, 150 classes), in mmseg's layout (``data/ade/ADEChallengeData2016``:
    ``images/{training,validation}/*.jpg``, ``annotations/...png`` with 0 = other, class ``k`` as ``k + 1``) and
    in mmdet's panoptic one (``data/ADEChallengeData2016``: ``images/validation``, ``ade20k_panoptic_val.json``
    and ``ade20k_panoptic_val/*.png``, as mmdet's ``ade20k2coco.py`` writes them).

    Args:
        data (str): the folder that plays ``data/``.
        num_images (int): images per split.
        size (Tuple[int, int]): image ``(width, height)``.
        seed (int): random seed.
    """
    from mmdet.datasets import ADE20KPanopticDataset
    from panopticapi.utils import id2rgb
    meta = ADE20KPanopticDataset.METAINFO
    things, stuff = list(meta['thing_classes']), list(meta['stuff_classes'])
    names = list(meta['classes'])
    pan_cats = [dict(id=i + 1, name=n, isthing=int(n in things), supercategory='x') for i, n in enumerate(names)]
    thing_ids = [names.index(n) + 1 for n in things]
    stuff_ids = [names.index(n) + 1 for n in stuff]
    pan_images, pan_anns = [], []
    for split_no, split in enumerate(('training', 'validation')):
        for k in range(num_images):
            rng = np.random.default_rng([seed, 40 + split_no, k])
            scene = Scene(rng, pick(rng, 150, 3), pick(rng, 150, 2), size)
            stem = f"ADE_{'train' if split_no == 0 else 'val'}_{k + 1:08d}"
            for root in ('ade/ADEChallengeData2016', 'ADEChallengeData2016'):
                scene.save_image(osp.join(data, root, 'images', split, stem + '.jpg'))
            save_png(scene.label_map({i: i + 1 for i in range(150)}),
                      osp.join(data, 'ade/ADEChallengeData2016/annotations', split, stem + '.png'))
            if split != 'validation':
                continue
            pscene = Scene(rng, [stuff_ids[i] for i in pick(rng, len(stuff_ids), 3)],
                           [thing_ids[i] for i in pick(rng, len(thing_ids), 2)], size)
            entry = pscene.save_image(osp.join(data, 'ADEChallengeData2016/images', split, stem + '.jpg'))
            pan_map, segments = np.zeros(pscene.labels.shape, np.int64), []
            for j, (cat, mask) in enumerate(pscene.things + pscene.stuff):
                rle, box = _rle_and_box(mask)
                pan_map[mask.astype(bool)] = (k + 1) * 100 + j + 1
                segments.append(dict(id=(k + 1) * 100 + j + 1, category_id=cat, iscrowd=0, bbox=box,
                                     area=int(mask.sum())))
            save_png(id2rgb(pan_map), osp.join(data, 'ADEChallengeData2016/ade20k_panoptic_val', stem + '.png'))
            pan_images.append(dict(entry, id=stem))
            pan_anns.append(dict(image_id=stem, file_name=stem + '.png', segments_info=segments))
    dump_json(dict(images=pan_images, annotations=pan_anns, categories=pan_cats),
              osp.join(data, 'ADEChallengeData2016', 'ade20k_panoptic_val.json'))


def ade20k_full_seg_png(ids: np.ndarray) -> np.ndarray:
    """The ``*_seg.png`` of ADE20K's full release for a map of object ids: R = (id // 256) * 10, G = id % 256."""
    ids = np.asarray(ids)
    return np.stack([(ids // 256) * 10, ids % 256, np.zeros_like(ids)], -1).astype(np.uint8)


def write_ade20k_full(data: str, num_images: int = 2, size: Tuple[int, int] = (640, 480), seed: int = 0) -> None:
    """ADE20K's full release (``data/ADE20K_2021_17_01``: ``index_ade20k.pkl``, ``images/ADE/<split>/<scene>/``
    with ``*.jpg`` and ``*_seg.png``), the input of ``prepare_ade20k_847.py``, which writes the 16-bit A-847 layout.

    Args:
        data (str): the folder that plays ``data/``.
        num_images (int): validation images.
        size (Tuple[int, int]): image ``(width, height)``.
        seed (int): random seed.
    """
    root = osp.join(data, 'ADE20K_2021_17_01')
    folder = 'ADE20K_2021_17_01/images/ADE/validation/home_or_hotel/bedroom'
    names = []
    for k in range(num_images):
        rng = np.random.default_rng([seed, 50, k])
        scene = Scene(rng, [ADE20K_FULL_WALL, ADE20K_FULL_UNLISTED], [ADE20K_FULL_TUBE], size)
        name = f'ADE_val_{k + 1:08d}.jpg'
        scene.save_image(osp.join(data, folder, name))
        save_png(ade20k_full_seg_png(scene.labels), osp.join(data, folder, name[:-4] + '_seg.png'))
        names.append(name)
    os.makedirs(root, exist_ok=True)
    with open(osp.join(root, 'index_ade20k.pkl'), 'wb') as f:
        pickle.dump(dict(folder=[folder] * len(names), filename=names), f)


def write_pascal(data: str, num_images: int = 2, size: Tuple[int, int] = (500, 375), seed: int = 0) -> None:
    """PASCAL VOC 2012 and PASCAL Context as mmseg reads them (``data/VOCdevkit/VOC2012``: ``JPEGImages``,
    ``SegmentationClass`` (0 background, 1..20, 255 border), ``ImageSets/Segmentation/{train,val}.txt``;
    ``data/VOCdevkit/VOC2010``: ``SegmentationClassContext`` (0 background, 1..59),
    ``ImageSets/SegmentationContext/{train,val}.txt``) and PASCAL Context's full labels (``VOC2010/trainval/*.mat``,
    ``LabelMap`` 0..459), the input of ``prepare_pascal_context_459.py``.

    Args:
        data (str): the folder that plays ``data/``.
        num_images (int): images per split.
        size (Tuple[int, int]): image ``(width, height)`` (VOC's are at most 500 px).
        seed (int): random seed.
    """
    from scipy.io import savemat
    for year, seg_dir, sets, n in (('2012', 'SegmentationClass', 'Segmentation', 21),
                                   ('2010', 'SegmentationClassContext', 'SegmentationContext', 60)):
        root = osp.join(data, 'VOCdevkit', f'VOC{year}')
        for split_no, split in enumerate(('train', 'val')):
            ids = []
            for k in range(num_images):
                rng = np.random.default_rng([seed, 60 + int(year), split_no, k])
                image_id = f'{year}_{k + 1 + 1000 * split_no:06d}'
                scene = Scene(rng, pick(rng, n, 3), pick(rng, n, 1), size)
                scene.save_image(osp.join(root, 'JPEGImages', image_id + '.jpg'))
                label = scene.label_map()
                if year == '2012':
                    label[:2] = 255  # VOC's object borders
                save_png(label, osp.join(root, seg_dir, image_id + '.png'))
                if year == '2010':
                    full = scene.label_map({c: 1 + (c * 7) % 459 for c in range(60)}, np.uint16)
                    os.makedirs(osp.join(root, 'trainval'), exist_ok=True)
                    savemat(osp.join(root, 'trainval', image_id + '.mat'), dict(LabelMap=full))
                ids.append(image_id)
            os.makedirs(osp.join(root, 'ImageSets', sets), exist_ok=True)
            with open(osp.join(root, 'ImageSets', sets, f'{split}.txt'), 'w') as f:
                f.writelines(i + '\n' for i in ids)
