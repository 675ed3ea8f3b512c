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
import hashlib
import os.path as osp
from glob import glob
from typing import Sequence

from .coco_lvis import COCO_INSTANCE_IDS, COCO_PANOPTIC_STUFF_IDS, coco_instance_categories, write_coco, write_lvis
from .image_text import write_custom, write_flickr30k, write_imagenet, write_umg, write_umg_mixture
from .scene import RETRIEVAL_IMAGES, Scene
from .segmentation import (ADE20K_FULL_TUBE, ADE20K_FULL_UNLISTED, ADE20K_FULL_WALL, ade20k_full_seg_png,
                           write_ade20k, write_ade20k_full, write_coco_stuff, write_pascal)

__all__ = [
    'ADE20K_FULL_TUBE', 'ADE20K_FULL_UNLISTED', 'ADE20K_FULL_WALL', 'COCO_INSTANCE_IDS', 'COCO_PANOPTIC_STUFF_IDS',
    'CONVERTERS', 'RETRIEVAL_IMAGES', 'Scene', 'ade20k_full_seg_png', 'coco_instance_categories', 'version',
    'write_ade20k', 'write_ade20k_full', 'write_all', 'write_coco', 'write_coco_stuff', 'write_custom',
    'write_flickr30k', 'write_imagenet', 'write_lvis', 'write_pascal', 'write_umg', 'write_umg_mixture'
]

# The converters to run after the writers, in this order: (script under tools/dataset_converters, its arguments
# relative to the data folder). Each one's output is what the configs read.
CONVERTERS = (
    ('prepare_ov_coco.py', ['coco']),
    ('prepare_ov_lvis.py', ['lvis_v1']),
    ('prepare_ade20k_847.py', ['ADE20K_2021_17_01']),
    ('prepare_pascal_context_459.py', ['VOCdevkit/VOC2010', '--out', 'pascal_ctx_d2']),
    ('umg2wds.py', ['umg41m/annotations/train-000000.jsonl', 'umg41m_wds/train', '--data-root', 'umg41m']),
)


def version() -> str:
    """A SHA-1 of the writers' source (every module of this package): data written by another version is stale."""
    h = hashlib.sha1()
    for path in sorted(glob(osp.join(osp.dirname(__file__), '*.py'))):
        with open(path, 'rb') as f:
            h.update(f.read())
    return h.hexdigest()


def write_all(data: str, custom_classes: Sequence[str] = ('cat', 'dog', 'horse'),
              classification_folders: Sequence[str] = ('a', 'b'), num_images: int = 2) -> None:
    """Every writer of this package into ``data`` (the converters of :data:`CONVERTERS` still to run).

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
