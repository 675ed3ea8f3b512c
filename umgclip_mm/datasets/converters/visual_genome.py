"""Visual Genome 1.2 -> UMG records: region descriptions become region captions, objects (with their attributes)
region tags, the objects' names the image tags (docs/data_format.md, "From Visual Genome")."""
import posixpath
from collections import defaultdict
from typing import Dict, Iterator, List, Optional
from urllib.parse import urlparse

from .umg_writer import BadRecords, ConversionError, texts, umg_record, xywh_box


def _image_id(entry: dict, where: str) -> int:
    """The image id of an entry of any Visual Genome file: ``image_id`` (1.2), or ``id`` (region_descriptions,
    image_data 1.0)."""
    value = entry.get('image_id', entry.get('id')) if isinstance(entry, dict) else None
    if not isinstance(value, int):
        raise ConversionError(f'{where}: no integer "image_id" (or "id")')
    return value


def vg_image_file(meta: dict) -> str:
    """The image's path under the data root: the last folder and file of its ``url``
    (``.../VG_100K_2/1.jpg`` -> ``VG_100K_2/1.jpg``), else ``VG_100K/<image_id>.jpg``."""
    url = meta.get('url')
    if isinstance(url, str) and url:
        parts = urlparse(url).path.rstrip('/').split('/')
        if len(parts) >= 2 and parts[-1]:
            return posixpath.join(parts[-2], parts[-1])
    return f'VG_100K/{_image_id(meta, "image_data.json")}.jpg'


def index_by_image(entries, key: str, what: str, bad: BadRecords) -> Dict[int, List[dict]]:
    """``{image_id: items}`` of a Visual Genome annotation file (a list of ``{image_id|id, key: [...]}``)."""
    if not isinstance(entries, list):
        raise ConversionError(f'{what}: expected a list of per-image entries, got {type(entries).__name__}')
    out = defaultdict(list)
    for n, entry in enumerate(entries):
        try:
            items = entry.get(key) if isinstance(entry, dict) else None
            if not isinstance(items, list):
                raise ConversionError(f'no "{key}" list')
            out[_image_id(entry, what)].extend(items)
        except ConversionError as err:
            bad('bad entry', f'{what}[{n}]', str(err))
    return out


def convert_visual_genome(image_data: list, regions: Optional[Dict[int, List[dict]]] = None,
                          objects: Optional[Dict[int, List[dict]]] = None,
                          attributes: Optional[Dict[int, List[dict]]] = None, image_prefix: str = '',
                          bad: Optional[BadRecords] = None) -> Iterator[dict]:
    """UMG records of Visual Genome images.

    Args:
        image_data (list): ``image_data.json`` (``image_id``, ``width``, ``height``, ``url``).
        regions (dict, optional): ``{image_id: [region]}`` of ``region_descriptions.json`` (``x``, ``y``,
            ``width``, ``height``, ``phrase``): each a region captioned with its phrase.
        objects (dict, optional): ``{image_id: [object]}`` of ``objects.json`` (``object_id``, ``x``, ``y``,
            ``w``, ``h``, ``names``): each a region tagged with its names.
        attributes (dict, optional): ``{image_id: [object]}`` of ``attributes.json``: an object's ``attributes``
            add the tags ``'<attribute> <name>'`` to the object of the same ``object_id`` (or are the object,
            when ``objects`` lacks it).
        image_prefix (str): Prefix of the image paths (the folder holding ``VG_100K`` and ``VG_100K_2``).
        bad (BadRecords, optional): Where skipped entries and items are counted.

    Yields:
        dict: One record per image that has at least one region.
    """
    bad = bad or BadRecords()
    regions, objects, attributes = regions or {}, objects or {}, attributes or {}
    for n, meta in enumerate(image_data):
        try:
            image_id = _image_id(meta, f'image_data.json[{n}]')
            width, height = meta.get('width'), meta.get('height')
            image = posixpath.join(image_prefix, vg_image_file(meta)) if image_prefix else vg_image_file(meta)
            umg_record(image, height, width)  # checks the size
        except ConversionError as err:
            bad('bad image entry', f'image_data.json[{n}]', str(err))
            continue
        items, tags = [], []
        for k, reg in enumerate(regions.get(image_id, [])):
            where = f'region_descriptions.json image {image_id} region {k}'
            try:
                box = xywh_box([reg.get('x'), reg.get('y'), reg.get('width'), reg.get('height')], width, height,
                               where)
                phrase = texts(reg.get('phrase'), where)
                if not phrase:
                    raise ConversionError(f'{where}: empty phrase')
                items.append(dict(bbox=box, captions=phrase, tags=[]))
            except (ConversionError, AttributeError) as err:
                bad('bad region', where, str(err))
        by_id = {}
        for source, entries in (('objects.json', objects.get(image_id, [])),
                                ('attributes.json', attributes.get(image_id, []))):
            for k, obj in enumerate(entries):
                where = f'{source} image {image_id} object {k}'
                try:
                    if not isinstance(obj, dict):
                        raise ConversionError(f'{where}: not an object')
                    names = texts(obj.get('names', obj.get('object_names', obj.get('name'))), f'{where} names')
                    attrs = texts(obj.get('attributes'), f'{where} attributes')
                    oid = obj.get('object_id', obj.get('id'))
                    known = by_id.get(oid) if oid is not None else None
                    if known is None:
                        if not names:
                            raise ConversionError(f'{where}: no names')
                        box = xywh_box([obj.get('x'), obj.get('y'), obj.get('w'), obj.get('h')], width, height,
                                       where)
                        known = dict(bbox=box, captions=[], tags=list(names))
                        items.append(known)
                        if oid is not None:
                            by_id[oid] = known
                    base = names or known['tags'][:1]
                    for attr in attrs:
                        for name in base:
                            tag = f'{attr} {name}'
                            if tag not in known['tags']:
                                known['tags'].append(tag)
                    tags += [t for t in names if t not in tags]
                except ConversionError as err:
                    bad('bad object', where, str(err))
        if not items:
            bad('no region', f'image {image_id}', 'no region description or object')
            continue
        yield umg_record(image, height, width, tags=tags, regions=items)
