"""A few photograph-sized images per benchmark, written in each data set's official on-disk layout.

``tools/analysis/smoke_fullsize.py`` runs every shipped config on these files (random weights, true image sizes),
and the tests build every config's data sets on them: a wrong folder, suffix, field or label encoding in a config
or a data set class shows up as an error here instead of on a user's first run. Each writer takes the folder that
plays ``data/`` (the ``data_root`` of the shipped configs is relative to it) and writes the files the download or
the documented converter leaves there; where a converter of ``tools/dataset_converters`` makes the layout the
configs read (OV-COCO, OV-LVIS, ADE20K-847, PASCAL Context-459, tar shards), the writer gives its input and the
caller runs the converter (:data:`CONVERTERS`).

The images are not pictures of anything: a few coloured bands (the "stuff" of the label maps) with rectangles on
them (the "things", one instance each), 640x480 by default, so that resizing, cropping and padding work at the
sizes the configs use.
"""
import json
import os
import os.path as osp
import pickle
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from PIL import Image

from .toy_world import _rle_and_box

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
# Two object ids of ADE20K's full release (index_ade20k.pkl's ``objectnames``, 1-based): "wall" and "tube", which
# prepare_ade20k_847.py maps to A-847 classes 0 and 412; id 3 is none of the 847 (ignored).
ADE20K_FULL_WALL, ADE20K_FULL_TUBE, ADE20K_FULL_UNLISTED = 2978, 1885, 3

# Images of each retrieval set: the retrieval configs report recall@10, which needs at least 10 (mmpretrain's
# RetrievalRecall fails with "selected index k out of range" on fewer).
RETRIEVAL_IMAGES = 10

# The converters to run after the writers, in this order: (script under tools/dataset_converters, its arguments
# relative to the data folder). Each one's output is what the configs read.
CONVERTERS = (
    ('prepare_ov_coco.py', ['coco']),
    ('prepare_ov_lvis.py', ['lvis_v1']),
    ('prepare_ade20k_847.py', ['ADE20K_2021_17_01']),
    ('prepare_pascal_context_459.py', ['VOCdevkit/VOC2010', '--out', 'pascal_ctx_d2']),
    ('umg2wds.py', ['umg41m/annotations/train-000000.jsonl', 'umg41m_wds/train', '--data-root', 'umg41m']),
)


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


def _save_png(array: np.ndarray, path: str) -> None:
    os.makedirs(osp.dirname(path), exist_ok=True)
    Image.fromarray(array).save(path)


def _dump(data, path: str) -> None:
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        json.dump(data, f)


def _pick(rng: np.random.Generator, n: int, k: int) -> List[int]:
    return [int(i) for i in rng.choice(n, size=k, replace=False)]


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
            thing_ids = [COCO_INSTANCE_IDS[i] for i in [0, 5] + _pick(rng, 80, 1)]
            scene = Scene(rng, [COCO_PANOPTIC_STUFF_IDS[i] for i in _pick(rng, 53, 3)], thing_ids, size)
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
            _save_png(id2rgb(pan_map), osp.join(root, 'annotations', f'panoptic_{split}2017', png))
            pan.append(dict(image_id=image_id, file_name=png, segments_info=segments))
        info = dict(description=f'fake COCO {split}2017 (umgclip_mm.datasets.fake_layouts)')
        _dump(dict(info=info, licenses=[], images=images, annotations=inst, categories=coco_instance_categories()),
              osp.join(root, 'annotations', f'instances_{split}2017.json'))
        _dump(dict(info=info, licenses=[], images=images, annotations=pan, categories=pan_cats),
              osp.join(root, 'annotations', f'panoptic_{split}2017.json'))
    images, captions = [], []
    for k in range(max(num_images, RETRIEVAL_IMAGES)):
        rng = np.random.default_rng([seed, 9, k])
        image_id = 391895 + k
        name = f'val2014/COCO_val2014_{image_id:012d}.jpg'
        entry = Scene(rng, _pick(rng, 50, 3), _pick(rng, 50, 1), size).save_image(osp.join(root, name))
        images.append(dict(entry, id=image_id, coco_url=f'http://images.cocodataset.org/{name}'))
        captions += [dict(id=image_id * 10 + c, image_id=image_id, caption=f'picture {k}, caption {c}: bands and a box')
                     for c in range(5)]
    _dump(dict(images=images, annotations=captions), osp.join(root, 'annotations', 'caption_karpathy_test2014.json'))


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

    from ..vocabulary.vocabulary import name_key, read_class_list
    from .ov_lvis_dataset import _MMDET_SPELLING
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
        _dump(dict(info={}, licenses=[], images=images, annotations=anns, categories=cats),
              osp.join(root, 'annotations', f'lvis_v1_{split}.json'))


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
            scene = Scene(rng, _pick(rng, 171, 3), _pick(rng, 171, 2), size)
            stem = f'{1 + k + 1000 * split_no:012d}'
            scene.save_image(osp.join(root, 'images', split, stem + '.jpg'))
            _save_png(scene.label_map(), osp.join(root, 'annotations', split, stem + '_labelTrainIds.png'))


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
            scene = Scene(rng, _pick(rng, 150, 3), _pick(rng, 150, 2), size)
            stem = f"ADE_{'train' if split_no == 0 else 'val'}_{k + 1:08d}"
            for root in ('ade/ADEChallengeData2016', 'ADEChallengeData2016'):
                scene.save_image(osp.join(data, root, 'images', split, stem + '.jpg'))
            _save_png(scene.label_map({i: i + 1 for i in range(150)}),
                      osp.join(data, 'ade/ADEChallengeData2016/annotations', split, stem + '.png'))
            if split != 'validation':
                continue
            pscene = Scene(rng, [stuff_ids[i] for i in _pick(rng, len(stuff_ids), 3)],
                           [thing_ids[i] for i in _pick(rng, len(thing_ids), 2)], size)
            entry = pscene.save_image(osp.join(data, 'ADEChallengeData2016/images', split, stem + '.jpg'))
            pan_map, segments = np.zeros(pscene.labels.shape, np.int64), []
            for j, (cat, mask) in enumerate(pscene.things + pscene.stuff):
                rle, box = _rle_and_box(mask)
                pan_map[mask.astype(bool)] = (k + 1) * 100 + j + 1
                segments.append(dict(id=(k + 1) * 100 + j + 1, category_id=cat, iscrowd=0, bbox=box,
                                     area=int(mask.sum())))
            _save_png(id2rgb(pan_map), osp.join(data, 'ADEChallengeData2016/ade20k_panoptic_val', stem + '.png'))
            pan_images.append(dict(entry, id=stem))
            pan_anns.append(dict(image_id=stem, file_name=stem + '.png', segments_info=segments))
    _dump(dict(images=pan_images, annotations=pan_anns, categories=pan_cats),
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
        _save_png(ade20k_full_seg_png(scene.labels), osp.join(data, folder, name[:-4] + '_seg.png'))
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
                scene = Scene(rng, _pick(rng, n, 3), _pick(rng, n, 1), size)
                scene.save_image(osp.join(root, 'JPEGImages', image_id + '.jpg'))
                label = scene.label_map()
                if year == '2012':
                    label[:2] = 255  # VOC's object borders
                _save_png(label, osp.join(root, seg_dir, image_id + '.png'))
                if year == '2010':
                    full = scene.label_map({c: 1 + (c * 7) % 459 for c in range(60)}, np.uint16)
                    os.makedirs(osp.join(root, 'trainval'), exist_ok=True)
                    savemat(osp.join(root, 'trainval', image_id + '.mat'), dict(LabelMap=full))
                ids.append(image_id)
            os.makedirs(osp.join(root, 'ImageSets', sets), exist_ok=True)
            with open(osp.join(root, 'ImageSets', sets, f'{split}.txt'), 'w') as f:
                f.writelines(i + '\n' for i in ids)


def write_imagenet(data: str, custom_classes: Sequence[str] = ('cat', 'dog', 'horse'), num_images: int = 2,
                   size: Tuple[int, int] = (500, 375), seed: int = 0) -> None:
    """ImageNet-1k's validation set as mmpretrain reads it (``data/imagenet``: ``val/*.JPEG`` and ``meta/val.txt``,
    "file label" a line) and a folder-per-class set (``data/my_dataset/<class>/*.jpg``, mmpretrain's
    ``CustomDataset``).

    Args:
        data (str): the folder that plays ``data/``.
        custom_classes (Sequence[str]): the folders of the folder-per-class set.
        num_images (int): images of each.
        size (Tuple[int, int]): image ``(width, height)``.
        seed (int): random seed.
    """
    lines = []
    for k in range(num_images):
        rng = np.random.default_rng([seed, 70, k])
        name = f'ILSVRC2012_val_{k + 1:08d}.JPEG'
        Scene(rng, [0, 1], [2], size).save_image(osp.join(data, 'imagenet', 'val', name))
        lines.append(f'{name} {int(rng.integers(0, 1000))}\n')
    os.makedirs(osp.join(data, 'imagenet', 'meta'), exist_ok=True)
    with open(osp.join(data, 'imagenet', 'meta', 'val.txt'), 'w') as f:
        f.writelines(lines)
    for c, cls in enumerate(custom_classes):
        for k in range(num_images):
            rng = np.random.default_rng([seed, 71, c, k])
            Scene(rng, [0, 1], [2], size).save_image(osp.join(data, 'my_dataset', cls, f'{k:04d}.jpg'))


def write_flickr30k(data: str, num_images: int = 2, size: Tuple[int, int] = (500, 375), seed: int = 0) -> None:
    """Flickr30k with Karpathy's split (``data/flickr30k``: ``images/*.jpg``,
    ``annotations/dataset_flickr30k.json``: ``images`` with ``filename``, ``imgid``, ``split`` and five
    ``sentences``), as mmpretrain's ``Flickr30kRetrieval`` reads it.

    Args:
        data (str): the folder that plays ``data/``.
        num_images (int): test images.
        size (Tuple[int, int]): image ``(width, height)``.
        seed (int): random seed.
    """
    images, sent_id = [], 0
    for k in range(max(num_images, RETRIEVAL_IMAGES)):
        rng = np.random.default_rng([seed, 80, k])
        name = f'{1000092795 + k}.jpg'
        Scene(rng, [0, 1], [2], size).save_image(osp.join(data, 'flickr30k', 'images', name))
        sentences = []
        for c in range(5):
            raw = f'Picture {k}, caption {c}: two bands and a box.'
            sentences.append(dict(tokens=raw.lower().split(), raw=raw, imgid=k, sentid=sent_id))
            sent_id += 1
        images.append(dict(sentids=[s['sentid'] for s in sentences], imgid=k, sentences=sentences, split='test',
                           filename=name))
    _dump(dict(images=images, dataset='flickr30k'), osp.join(data, 'flickr30k', 'annotations',
                                                                'dataset_flickr30k.json'))


def write_umg(data: str, folder: str = 'umg41m', ann_files: Sequence[str] = ('annotations/train-000000.jsonl',
                                                                          'annotations/val-000000.jsonl'),
              num_images: int = 2, size: Tuple[int, int] = (640, 480), seed: int = 0) -> None:
    """UMG-41M's JSON-lines layout (``data/umg41m``: ``images/*.jpg``, ``annotations/{train,val}-000000.jsonl``,
    a record a line with image captions and tags, regions (box, captions, tags) and masks (COCO RLE, captions,
    tags); docs/data_format.md). ``umg2wds.py`` writes the same records as tar shards (``data/umg41m_wds``); the
    converters of the public sources write the same format under ``data/<source>/umg/``.

    Args:
        data (str): the folder that plays ``data/``.
        folder (str): the data root under ``data``.
        ann_files (Sequence[str]): the JSON-lines files to write, relative to the data root.
        num_images (int): records per file.
        size (Tuple[int, int]): image ``(width, height)``.
        seed (int): random seed.
    """
    root = osp.join(data, folder)
    for file_no, ann_file in enumerate(ann_files):
        os.makedirs(osp.dirname(osp.join(root, ann_file)), exist_ok=True)
        stem = osp.splitext(osp.basename(ann_file))[0]
        with open(osp.join(root, ann_file), 'w') as f:
            for k in range(num_images):
                rng = np.random.default_rng([seed, 90 + file_no, k])
                scene = Scene(rng, [0, 1], [2, 3], size)
                name = f'images/umg_{stem}_{k:06d}.jpg'
                entry = scene.save_image(osp.join(root, name))
                regions, masks = [], []
                for cat, mask in scene.things:
                    rle, (x, y, w, h) = _rle_and_box(mask)
                    regions.append(dict(bbox=[x, y, x + w, y + h], captions=[f'a box of kind {cat}'],
                                        tags=[f'kind {cat}']))
                    masks.append(dict(segmentation=rle, captions=[f'the shape of kind {cat}'], tags=[f'kind {cat}']))
                rec = dict(image=name, height=entry['height'], width=entry['width'], tags=['bands', 'boxes'],
                           captions=[f'two bands and two boxes, picture {k}', 'a synthetic picture'],
                           regions=regions, masks=masks)
                f.write(json.dumps(rec) + '\n')


def write_umg_mixture(data: str, num_images: int = 2) -> None:
    """The public multi-granularity sources in the UMG format where their converters put them
    (``data/{gbc10m,mg_data,vg,flickr30k}/umg/train-000000.jsonl``, ``data/coco/umg/{train,refcoco,refcocog}-...``),
    as ``configs/_base_/datasets/umg_mixture.py`` reads them.

    Args:
        data (str): the folder that plays ``data/``.
        num_images (int): records per file.
    """
    for folder in ('gbc10m', 'mg_data', 'vg', 'flickr30k'):
        write_umg(data, folder, ['umg/train-000000.jsonl'], num_images)
    write_umg(data, 'coco', [f'umg/{name}-000000.jsonl' for name in ('train', 'refcoco', 'refcocog')], num_images)


def write_custom(data: str, classification_folders: Sequence[str], num_images: int = 2) -> None:
    """The layouts of configs/custom as shipped: the quickstart's toy world (``data/synthetic``, COCO instances and
    panoptic files and label maps; ``make_synthetic.py`` writes it), a folder-per-class set
    (``data/my_classification/<folder>/``) and image-caption pairs in the UMG format's image level
    (``data/my_retrieval/captions.jsonl``).

    Args:
        data (str): the folder that plays ``data/``.
        classification_folders (Sequence[str]): the class folders of ``data/my_classification``.
        num_images (int): images per split or folder.
    """
    from .toy_world import generate
    generate(osp.join(data, 'synthetic'), num_train=40, num_val=num_images)  # enough with only seen classes
    for c, cls in enumerate(classification_folders):
        for k in range(num_images):
            rng = np.random.default_rng([7, 72, c, k])
            Scene(rng, [0, 1], [2], (500, 375)).save_image(osp.join(data, 'my_classification', cls, f'{k:04d}.jpg'))
    write_umg(data, 'my_retrieval', ['captions.jsonl'], max(num_images, RETRIEVAL_IMAGES), size=(320, 240))


def write_all(data: str, custom_classes: Sequence[str] = ('cat', 'dog', 'horse'),
              classification_folders: Sequence[str] = ('a', 'b'), num_images: int = 2) -> None:
    """Every writer above into ``data`` (the converters of :data:`CONVERTERS` still to run).

    Args:
        data (str): the folder that plays ``data/``.
        custom_classes (Sequence[str]): see :func:`write_imagenet`.
        classification_folders (Sequence[str]): see :func:`write_custom`.
        num_images (int): images per split of each data set.
    """
    write_coco(data, num_images)
    write_lvis(data, num_images=num_images)
    write_coco_stuff(data, num_images)
    write_ade20k(data, num_images)
    write_ade20k_full(data, num_images)
    write_pascal(data, num_images)
    write_imagenet(data, custom_classes, num_images)
    write_flickr30k(data, num_images)
    write_umg(data, num_images=num_images)
    write_umg_mixture(data, num_images)
    write_custom(data, classification_folders, num_images)
