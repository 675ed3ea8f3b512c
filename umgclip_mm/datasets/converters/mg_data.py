"""MG-Data (SEU-VIPGroup, 8M CC3M/CC12M images: short and long captions, object masks with object captions, region
masks with region captions) -> UMG records (docs/data_format.md, "From MG-Data").

The data set card documents the hierarchy and the mask encoding (COCO RLE, uncompressed: ``size`` + ``counts``) and
names one field, ``related_objects``; the other JSON field names are not published there. They are therefore not
hard-wired: :data:`DEFAULT_FIELDS` is our reading of the card, and each can be renamed (``mg_data2umg.py --field
caption=object_caption``) once the files are at hand."""
from typing import Dict, Optional

from .umg_writer import BadRecords, ConversionError, texts, umg_record, xywh_box

# role -> JSON field. Only `related_objects`, `size` and `counts` are names the data set card states.
DEFAULT_FIELDS: Dict[str, str] = dict(
    image='image',                  # the image path
    height='height', width='width',  # optional: else taken from the first mask's RLE size
    short_caption='short_caption',  # the CC3M/CC12M alt text
    long_caption='long_caption',    # Qwen-VL-Max's 100+ word caption
    objects='objects',              # one per salient object
    regions='regions',              # one per multi-object relation
    caption='caption',              # an object's or a region's caption
    mask='mask',                    # an object's or a region's COCO RLE
    related_objects='related_objects',
)


def compress_rle(seg, where: str) -> dict:
    """A COCO RLE (uncompressed ``counts`` list or compressed string) as a compressed one, checked.

    Raises:
        ConversionError: not an RLE, or its counts do not add up to its size.
    """
    from pycocotools import mask as mask_utils
    if not isinstance(seg, dict) or 'size' not in seg or 'counts' not in seg:
        raise ConversionError(f'{where}: the mask is not a COCO RLE with "size" and "counts"')
    size = seg['size']
    if (not isinstance(size, list) or len(size) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in size)):
        raise ConversionError(f'{where}: RLE size {size!r} is not [height, width]')
    h, w = size
    counts = seg['counts']
    if isinstance(counts, list):
        if not all(isinstance(c, int) and not isinstance(c, bool) and c >= 0 for c in counts) \
                or sum(counts) != h * w:
            raise ConversionError(f'{where}: uncompressed RLE counts must be non-negative and sum to {h * w}')
        rle = mask_utils.frPyObjects(dict(size=[h, w], counts=counts), h, w)
        return dict(size=[h, w], counts=rle['counts'].decode('ascii'))
    if isinstance(counts, str) and counts:
        return dict(size=[h, w], counts=counts)
    raise ConversionError(f'{where}: RLE counts must be a list or a string')


def convert_mg_data(sample: dict, fields: Optional[Dict[str, str]] = None, with_long: bool = False,
                    object_boxes: bool = False, image_prefix: str = '', bad: Optional[BadRecords] = None) -> dict:
    """The UMG record of one MG-Data sample.

    Args:
        sample (dict): One sample's annotation.
        fields (dict, optional): Field names by role, over :data:`DEFAULT_FIELDS`.
        with_long (bool): Also the long caption as an image caption (100+ words, beyond CLIP's 77 tokens).
        object_boxes (bool): Also a region per object, its box the mask's bounding box, with its caption.
        image_prefix (str): Prefix of the image path.
        bad (BadRecords, optional): Where skipped objects and regions are counted.

    Returns:
        dict: The short (and long) caption; a mask per object and per region (the union of its related objects),
        captioned with its caption (MG-Data has no tags).

    Raises:
        ConversionError: no image path, or no size anywhere.
    """
    from pycocotools import mask as mask_utils
    f = dict(DEFAULT_FIELDS, **(fields or {}))
    bad = bad or BadRecords()
    image = sample.get(f['image'])
    if not isinstance(image, str) or not image:
        raise ConversionError(f'no image path in field "{f["image"]}" (rename it with --field image=NAME)')
    height, width = sample.get(f['height']), sample.get(f['width'])
    captions = texts(sample.get(f['short_caption']), f['short_caption'])
    if with_long:
        captions += texts(sample.get(f['long_caption']), f['long_caption'])
    masks, regions = [], []
    for level in ('objects', 'regions'):
        items = sample.get(f[level]) or []
        if not isinstance(items, list):
            bad(f'bad {level}', image, f'field "{f[level]}" is not a list')
            continue
        for k, item in enumerate(items):
            where = f'{image} {level}[{k}]'
            try:
                if not isinstance(item, dict):
                    raise ConversionError(f'{where}: not an object')
                rle = compress_rle(item.get(f['mask']), where)
                if height is None and width is None:
                    height, width = rle['size']
                if rle['size'] != [height, width]:
                    raise ConversionError(f'{where}: mask size {rle["size"]} is not the image\'s '
                                          f'[{height}, {width}]')
                caption = texts(item.get(f['caption']), f'{where} {f["caption"]}')
                if not caption:
                    raise ConversionError(f'{where}: no caption in field "{f["caption"]}"')
                masks.append(dict(segmentation=rle, captions=caption, tags=[]))
                if object_boxes and level == 'objects':
                    box = mask_utils.toBbox(dict(size=rle['size'], counts=rle['counts'].encode('ascii')))
                    regions.append(dict(bbox=xywh_box([float(v) for v in box], width, height, where),
                                        captions=caption, tags=[]))
            except ConversionError as err:
                bad(f'bad {level[:-1]}', where, str(err))
    if height is None or width is None:
        raise ConversionError(f'{image}: no "{f["height"]}"/"{f["width"]}" and no mask to read the size from')
    return umg_record(image if not image_prefix else f'{image_prefix.rstrip("/")}/{image}', height, width,
                      captions=captions, regions=regions, masks=masks)
