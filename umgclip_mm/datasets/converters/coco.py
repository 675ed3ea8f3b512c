"""COCO captions + instances + panoptic -> UMG records, one per image (docs/data_format.md, "From COCO")."""
import os.path as osp
import posixpath
import re
from collections import defaultdict
from typing import Iterator, Optional

from .umg_writer import BadRecords, ConversionError, progress, texts, umg_record, xywh_box


def clean_name(name: str) -> str:
    """COCO panoptic names like 'wall-other-merged' -> 'wall'; 'traffic light' stays."""
    name = re.sub(r'-(merged|other|stuff)\b', '', name)
    return name.replace('-', ' ').strip()


def _images(data: dict, what: str) -> dict:
    try:
        return {im['id']: im for im in data['images']}
    except (KeyError, TypeError) as err:
        raise ConversionError(f'{what}: no "images" list of objects with "id" ({err})') from None


def convert_coco(captions: Optional[dict] = None, instances: Optional[dict] = None, panoptic: Optional[dict] = None,
                 panoptic_dir: Optional[str] = None, image_prefix: str = '',
                 bad: Optional[BadRecords] = None) -> Iterator[dict]:
    """UMG records of COCO images, each from any of the three annotation files.

    Args:
        captions (dict, optional): ``captions_*.json``: its captions become image captions.
        instances (dict, optional): ``instances_*.json``: each non-crowd box a region tagged with its category,
            captioned "a <category>".
        panoptic (dict, optional): ``panoptic_*.json``: each segment of the PNG in ``panoptic_dir`` (things and
            stuff) a mask (RLE) tagged with its category, captioned "a <thing>" / "the <stuff>".
        panoptic_dir (str, optional): The folder of panoptic PNGs; needed with ``panoptic``.
        image_prefix (str): Prefix of the image paths.
        bad (BadRecords, optional): Where skipped annotations are counted.

    Yields:
        dict: One record per image of any file, in image id order; image tags are the categories present.

    Raises:
        ConversionError: a file is not COCO, or ``panoptic`` comes without ``panoptic_dir``.
    """
    import numpy as np
    from panopticapi.utils import rgb2id
    from PIL import Image
    from pycocotools import mask as mask_utils
    bad = bad or BadRecords()
    images = {}
    caps, regions, masks, tags = defaultdict(list), defaultdict(list), defaultdict(list), defaultdict(list)

    def tag(image_id, name):
        if name not in tags[image_id]:
            tags[image_id].append(name)

    if captions is not None:
        images.update(_images(captions, 'captions'))
        for n, ann in enumerate(captions.get('annotations', [])):
            try:
                if ann.get('image_id') not in images:
                    raise ConversionError(f'image_id {ann.get("image_id")!r} is not in the file\'s images')
                caps[ann['image_id']] += texts(ann.get('caption'), 'caption')
            except (ConversionError, AttributeError) as err:
                bad('bad caption', f'captions annotation {n}', str(err))
    if instances is not None:
        own = _images(instances, 'instances')
        images.update(own)
        names = {c['id']: clean_name(c['name']) for c in instances.get('categories', [])}
        for n, ann in enumerate(instances.get('annotations', [])):
            where = f'instances annotation {ann.get("id", n) if isinstance(ann, dict) else n}'
            try:
                if ann.get('iscrowd'):
                    continue
                im = own.get(ann.get('image_id'))
                if im is None:
                    raise ConversionError(f'image_id {ann.get("image_id")!r} is not in the file\'s images')
                name = names.get(ann.get('category_id'))
                if name is None:
                    raise ConversionError(f'category_id {ann.get("category_id")!r} is not in the categories')
                box = xywh_box(ann.get('bbox'), im['width'], im['height'], where)
                regions[im['id']].append(dict(bbox=box, captions=[f'a {name}'], tags=[name]))
                tag(im['id'], name)
            except (ConversionError, AttributeError, KeyError) as err:
                bad('bad instance', where, str(err))
    if panoptic is not None:
        if not panoptic_dir:
            raise ConversionError('--panoptic needs --panoptic-dir (the folder of panoptic PNGs)')
        images.update(_images(panoptic, 'panoptic'))
        cats = {c['id']: c for c in panoptic.get('categories', [])}
        for ann in progress(panoptic.get('annotations', []), what='panoptic images'):
            png = osp.join(panoptic_dir, str(ann.get('file_name')))
            if not osp.isfile(png):
                bad('panoptic PNG missing', png)
                continue
            ids = rgb2id(np.asarray(Image.open(png).convert('RGB')))
            for seg in ann.get('segments_info', []):
                cat = cats.get(seg.get('category_id'))
                if cat is None:
                    bad('bad segment', f'{png} segment {seg.get("id")}',
                        f'category_id {seg.get("category_id")!r} is not in the categories')
                    continue
                bitmap = np.asfortranarray((ids == seg['id']).astype(np.uint8))
                if not bitmap.any():
                    bad('empty segment', f'{png} segment {seg["id"]}', 'no pixel of the PNG has its id')
                    continue
                name = clean_name(cat['name'])
                rle = mask_utils.encode(bitmap)
                masks[ann['image_id']].append(dict(
                    segmentation=dict(size=[int(v) for v in rle['size']], counts=rle['counts'].decode('ascii')),
                    captions=[f'a {name}' if cat.get('isthing') else f'the {name}'], tags=[name]))
                tag(ann['image_id'], name)
    if captions is None and instances is None and panoptic is None:
        raise ConversionError('give at least one of --captions, --instances, --panoptic')
    for image_id in sorted(images):
        im = images[image_id]
        try:
            image = posixpath.join(image_prefix, im['file_name']) if image_prefix else im['file_name']
            yield umg_record(image, im.get('height'), im.get('width'), captions=caps[image_id],
                             tags=sorted(tags[image_id]), regions=regions[image_id], masks=masks[image_id])
        except (ConversionError, KeyError) as err:
            bad('bad image entry', f'image {image_id}', str(err))
