"""RefCOCO / RefCOCO+ / RefCOCOg -> UMG records: each referred COCO instance becomes a mask and a box captioned with
its referring expressions and tagged with its category (docs/data_format.md, "From RefCOCO")."""
import posixpath
from collections import defaultdict
from typing import Iterator, Optional, Sequence

from .umg_writer import BadRecords, ConversionError, texts, umg_record, xywh_box


def ref_sentences(ref: dict, where: str) -> list:
    """The expressions of one ref: each sentence's ``sent`` (lower-cased, tokenised), else its ``raw``."""
    sents = ref.get('sentences')
    if not isinstance(sents, list):
        raise ConversionError(f'{where}: no "sentences" list')
    out = []
    for s in sents:
        if isinstance(s, dict):
            out += texts(s.get('sent') or s.get('raw'), f'{where} sentence')
    return texts(out)


def convert_refcoco(refs: list, instances: dict, splits: Optional[Sequence[str]] = ('train',),
                    image_prefix: str = '', bad: Optional[BadRecords] = None) -> Iterator[dict]:
    """UMG records of the images of RefCOCO-style refs.

    Args:
        refs (list): The refs pickle (``refs(unc).p``, ``refs(umd).p``, ``refs(google).p``): dicts with
            ``ref_id``, ``ann_id``, ``image_id``, ``category_id``, ``split`` and ``sentences`` (``sent``,
            ``raw``, ``tokens``, ``sent_id``).
        instances (dict): The data set's ``instances.json`` (COCO: ``images``, ``annotations`` with
            ``segmentation`` and ``bbox``, ``categories``).
        splits (Sequence[str], optional): The ref splits kept (``split`` is ``train``, ``val``, ``test``,
            ``testA``, ``testB``); None keeps all. Keep evaluation splits out of pretraining.
        image_prefix (str): Prefix of the image paths (the COCO ``train2014`` folder).
        bad (BadRecords, optional): Where skipped refs are counted.

    Yields:
        dict: One record per image with at least one kept ref: a mask (the instance's polygons or RLE) and a
        box per referred instance, both captioned with all the expressions of the instance.
    """
    bad = bad or BadRecords()
    try:
        images = {im['id']: im for im in instances['images']}
        anns = {a['id']: a for a in instances['annotations']}
        cats = {c['id']: c['name'] for c in instances['categories']}
    except (KeyError, TypeError) as err:
        raise ConversionError(f'instances.json: not COCO instances (missing {err}): it needs images, annotations '
                              'and categories') from None
    if not isinstance(refs, list):
        raise ConversionError(f'refs pickle: expected a list of refs, got {type(refs).__name__}')
    per_image = defaultdict(dict)  # image_id -> ann_id -> (ann, expressions)
    for n, ref in enumerate(refs):
        where = f'ref {ref.get("ref_id", n) if isinstance(ref, dict) else n}'
        try:
            if not isinstance(ref, dict):
                raise ConversionError(f'{where}: not a dict')
            if splits is not None and ref.get('split') not in splits:
                continue
            ann = anns.get(ref.get('ann_id'))
            if ann is None:
                raise ConversionError(f'{where}: ann_id {ref.get("ann_id")!r} is not in instances.json')
            if ann.get('image_id') not in images:
                raise ConversionError(f'{where}: image {ann.get("image_id")!r} is not in instances.json')
            sents = ref_sentences(ref, where)
            if not sents:
                raise ConversionError(f'{where}: no expression')
            entry = per_image[ann['image_id']].setdefault(ann['id'], (ann, []))
            entry[1].extend(s for s in sents if s not in entry[1])
        except ConversionError as err:
            bad('bad ref', where, str(err))
    for image_id in sorted(per_image):
        im = images[image_id]
        image = posixpath.join(image_prefix, im['file_name']) if image_prefix else im['file_name']
        regions, masks, tags = [], [], []
        for ann_id, (ann, sents) in sorted(per_image[image_id].items()):
            where = f'image {image_id} ann {ann_id}'
            name = cats.get(ann.get('category_id'))
            tag = [name] if name else []
            tags += [t for t in tag if t not in tags]
            try:
                regions.append(dict(bbox=xywh_box(ann.get('bbox'), im['width'], im['height'], where),
                                    captions=list(sents), tags=tag))
            except ConversionError as err:
                bad('bad box', where, str(err))
            seg = ann.get('segmentation')
            if isinstance(seg, (list, dict)) and seg:
                masks.append(dict(segmentation=seg, captions=list(sents), tags=tag))
            else:
                bad('no segmentation', where, 'the instance has no polygons or RLE')
        try:
            yield umg_record(image, im.get('height'), im.get('width'), tags=tags, regions=regions, masks=masks)
        except ConversionError as err:
            bad('bad image entry', f'instances.json image {image_id}', str(err))
