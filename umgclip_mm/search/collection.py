"""The images a search index is built over, with their given class-agnostic proposals (boxes and masks).

Three sources, told apart by what the path is:

- a UMG JSON-lines file (``.jsonl``, docs/data_format.md): ``regions[].bbox`` (xyxy) and ``masks[].segmentation``
  (COCO RLE or polygons) are the proposals; captions and tags are ignored (the index is class-agnostic);
- a COCO instances file (``.json`` with ``images`` and ``annotations``): each annotation's ``bbox`` (xywh) is a box
  proposal and its ``segmentation`` (RLE or polygons), if any, a mask proposal;
- a folder of images (searched recursively): no given proposals (use ``grid`` or ``rpn`` ones).
"""
import hashlib
import json
import os
import os.path as osp
from dataclasses import dataclass, field
from typing import List, Optional

import numpy as np
from pycocotools import mask as mask_utils

from .errors import CollectionError

#: Extensions of the files a folder contributes.
IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')


@dataclass
class CollectionItem:
    """One image of a collection.

    Args:
        key (str): The image's path relative to the collection's ``data_root`` (its name in the index).
        img_path (str): Where to read it.
        height, width (int, optional): The size the record gives (checked against the decoded image), or None.
        boxes (np.ndarray): Given box proposals ``[K, 4]`` float32 xyxy in image pixels.
        masks (list[dict]): Given mask proposals as COCO RLE (``{'size': [h, w], 'counts': str}``).
    """
    key: str
    img_path: str
    height: Optional[int] = None
    width: Optional[int] = None
    boxes: np.ndarray = field(default_factory=lambda: np.zeros((0, 4), np.float32))
    masks: List[dict] = field(default_factory=list)


def to_rle(segmentation, height: int, width: int, where: str) -> dict:
    """A COCO segmentation (RLE with string or list counts, or polygons) as a compact RLE with string counts."""
    if isinstance(segmentation, dict) and 'counts' in segmentation and 'size' in segmentation:
        rle = segmentation
        if isinstance(rle['counts'], list):  # uncompressed RLE
            rle = mask_utils.frPyObjects(rle, *rle['size'])
    elif isinstance(segmentation, list) and segmentation and all(isinstance(p, list) for p in segmentation):
        rle = mask_utils.merge(mask_utils.frPyObjects(segmentation, height, width))
    else:
        raise CollectionError(f'{where}: field "segmentation" must be a COCO RLE ({{"size": [h, w], "counts": ...}}) '
                              f'or a list of polygons, got {type(segmentation).__name__}')
    counts = rle['counts']
    return dict(size=[int(v) for v in rle['size']], counts=counts.decode('ascii') if isinstance(counts, bytes)
                else counts)


def _guess_root(ann_file: str, first_image: str, data_root: Optional[str]) -> str:
    """``data_root`` if given, else the first of the annotation file's folder and its parent under which
    ``first_image`` exists."""
    if data_root is not None:
        return data_root
    here = osp.dirname(osp.abspath(ann_file))
    for root in (here, osp.dirname(here)):
        if osp.isfile(osp.join(root, first_image)):
            return root
    raise CollectionError(f'{ann_file}: cannot find its first image {first_image!r} under {here} or its parent: '
                          'give the folder its image paths are relative to (--data-root)')


def _read_umg(path: str, data_root: Optional[str]) -> tuple:
    from umgclip_mm.datasets.umg_dataset import parse_record
    records = []
    with open(path, 'rb') as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                records.append((n, parse_record(line)))
            except ValueError as err:
                raise CollectionError(f'{path}:{n}: {err} (docs/data_format.md)') from None
    if not records:
        raise CollectionError(f'{path}: no records')
    root = _guess_root(path, records[0][1]['image'], data_root)
    items = []
    for n, rec in records:
        where = f'{path}:{n}'
        h, w = rec['height'], rec['width']
        boxes = []
        for r in rec.get('regions', []):
            box = r.get('bbox') if isinstance(r, dict) else None
            if not (isinstance(box, list) and len(box) == 4):
                raise CollectionError(f'{where}: a region\'s field "bbox" must be [x1, y1, x2, y2], got {box!r}')
            boxes.append(box)
        masks = [to_rle(m.get('segmentation') if isinstance(m, dict) else None, h, w, where)
                 for m in rec.get('masks', [])]
        items.append(CollectionItem(rec['image'], osp.join(root, rec['image']), h, w,
                                    np.asarray(boxes, np.float32).reshape(-1, 4), masks))
    return items, root


def _read_coco(path: str, data_root: Optional[str]) -> tuple:
    with open(path) as f:
        try:
            coco = json.load(f)
        except json.JSONDecodeError as err:
            raise CollectionError(f'{path}: not JSON ({err})') from None
    if not isinstance(coco, dict) or not isinstance(coco.get('images'), list):
        raise CollectionError(f'{path}: a COCO file needs an "images" list (or give a UMG .jsonl file or a folder)')
    if not coco['images']:
        raise CollectionError(f'{path}: "images" is empty')
    root = _guess_root(path, coco['images'][0]['file_name'], data_root)
    per_image = {}
    for ann in coco.get('annotations', []):
        per_image.setdefault(ann['image_id'], []).append(ann)
    items = []
    for img in coco['images']:
        h, w = img.get('height'), img.get('width')
        boxes, masks = [], []
        for ann in per_image.get(img['id'], []):
            where = f'{path}: annotation {ann.get("id")}'
            if 'bbox' in ann:
                x, y, bw, bh = ann['bbox']
                boxes.append([x, y, x + bw, y + bh])
            if ann.get('segmentation'):
                masks.append(to_rle(ann['segmentation'], h, w, where))
        items.append(CollectionItem(img['file_name'], osp.join(root, img['file_name']), h, w,
                                    np.asarray(boxes, np.float32).reshape(-1, 4), masks))
    return items, root


def _read_folder(path: str) -> tuple:
    items = []
    for dirpath, dirnames, filenames in os.walk(path):
        dirnames.sort()
        for name in sorted(filenames):
            if name.lower().endswith(IMAGE_EXTENSIONS):
                full = osp.join(dirpath, name)
                items.append(CollectionItem(osp.relpath(full, path), full))
    if not items:
        raise CollectionError(f'{path}: no images ({", ".join(IMAGE_EXTENSIONS)}) in this folder')
    return items, path


def read_collection(path: str, data_root: Optional[str] = None) -> tuple:
    """The images of a collection and the folder their keys are relative to.

    Args:
        path (str): A UMG JSON-lines file, a COCO instances JSON file or a folder of images.
        data_root (str, optional): The folder the annotation file's image paths are relative to (default: the
            file's folder or its parent, whichever holds the first image).

    Returns:
        tuple: ``(items, data_root)``: a list of :class:`CollectionItem` and the root folder.

    Raises:
        CollectionError: the path is none of these, or a record is malformed (the message names the line).
    """
    if osp.isdir(path):
        return _read_folder(path)
    if not osp.isfile(path):
        raise CollectionError(f'{path} does not exist: give a UMG .jsonl file, a COCO .json file or a folder of images')
    if path.endswith('.jsonl'):
        return _read_umg(path, data_root)
    if path.endswith('.json'):
        return _read_coco(path, data_root)
    raise CollectionError(f'{path}: unknown collection type: give a UMG .jsonl file, a COCO instances .json file or '
                          'a folder of images')


def collection_fingerprint(items: List[CollectionItem]) -> str:
    """A hash of the images' keys and given proposals, so that a resumed build knows it has the same collection."""
    h = hashlib.sha256()
    for item in items:
        h.update(item.key.encode())
        h.update(np.ascontiguousarray(item.boxes, np.float32).tobytes())
        h.update(json.dumps(item.masks, sort_keys=True).encode())
    return h.hexdigest()[:16]
