"""The layouts of image-level and image-text data: ImageNet and folder-per-class sets, Flickr30k, UMG-41M's
JSON lines, the public multi-granularity sources in the UMG format, and the configs/custom layouts."""
import json
import os
import os.path as osp
from typing import Sequence, Tuple

import numpy as np

from ..toy_world import _rle_and_box
from .scene import RETRIEVAL_IMAGES, Scene, dump_json

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
    dump_json(dict(images=images, dataset='flickr30k'),
              osp.join(data, 'flickr30k', 'annotations', 'dataset_flickr30k.json'))


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
    from ..toy_world import generate
    generate(osp.join(data, 'synthetic'), num_train=40, num_val=num_images)  # enough with only seen classes
    for c, cls in enumerate(classification_folders):
        for k in range(num_images):
            rng = np.random.default_rng([7, 72, c, k])
            Scene(rng, [0, 1], [2], (500, 375)).save_image(osp.join(data, 'my_classification', cls, f'{k:04d}.jpg'))
    write_umg(data, 'my_retrieval', ['captions.jsonl'], max(num_images, RETRIEVAL_IMAGES), size=(320, 240))
