"""GBC (graph-based captions, Apple's GBC1M/GBC10M: JSON lines of ``GbcGraph``) -> UMG records: the image captions,
every entity, composition and relation vertex a region captioned with its descriptions, entities tagged with the
text of the edges that point at them (docs/data_format.md, "From GBC")."""
import posixpath
from typing import Optional, Tuple
from urllib.parse import urlparse

from .umg_writer import BadRecords, ConversionError, texts, umg_record, xyxy_box

REGION_LABELS = ('entity', 'composition', 'relation')


def gbc_image_file(graph: dict) -> str:
    """The image file of a graph: ``img_path``, else the last part of ``img_url`` (GBC10M gives URLs only).

    Raises:
        ConversionError: neither is a non-empty string.
    """
    path = graph.get('img_path')
    if isinstance(path, str) and path:
        return path
    url = graph.get('img_url')
    if isinstance(url, str) and url:
        name = posixpath.basename(urlparse(url).path)
        if name:
            return name
    raise ConversionError('neither "img_path" nor "img_url" names the image')


def _descs(vertex: dict, where: str, with_detail: bool) -> list:
    descs = vertex.get('descs') or []
    if not isinstance(descs, list):
        raise ConversionError(f'{where}: "descs" is not a list')
    return texts([d.get('text') for d in descs if isinstance(d, dict) and isinstance(d.get('text'), str)
                  and (with_detail or d.get('label') != 'detail')])


def _relative_box(bbox, size: Tuple[int, int], where: str):
    if not isinstance(bbox, dict):
        raise ConversionError(f'{where}: "bbox" is not an object with left/top/right/bottom')
    height, width = size
    try:
        left, top, right, bottom = (float(bbox[k]) for k in ('left', 'top', 'right', 'bottom'))
    except (KeyError, TypeError, ValueError):
        raise ConversionError(f'{where}: bbox needs numbers left, top, right, bottom (relative, 0..1)') from None
    return xyxy_box(left * width, top * height, right * width, bottom * height, width, height, where)


def convert_gbc(graph: dict, image: str, height: int, width: int, with_detail: bool = False,
                bad: Optional[BadRecords] = None) -> dict:
    """The UMG record of one GBC graph.

    Args:
        graph (dict): One line of a GBC JSON-lines file: ``vertices`` (``vertex_id``, ``bbox`` with relative
            ``left``/``top``/``right``/``bottom``, ``label`` in ``image``/``entity``/``composition``/
            ``relation``, ``descs`` of ``{text, label}``, ``in_edges``/``out_edges`` of
            ``{source, text, target}``), ``short_caption``, ``original_caption``, ``detail_caption``,
            ``img_url``, ``img_path``.
        image (str): The image's path under the data root.
        height (int): Image height (GBC records carry none: read from the image file).
        width (int): Image width.
        with_detail (bool): Keep the long ``detail`` descriptions (100+ words, longer than CLIP's 77 tokens).
        bad (BadRecords, optional): Where skipped vertices are counted.

    Returns:
        dict: Captions ``short_caption`` and ``original_caption`` (the alt text) (+ ``detail_caption``), or the
        image vertex's descriptions when those are absent; image tags the texts of the image vertex's out-edges;
        one region per entity/composition/relation vertex, its box scaled to pixels, captioned with its
        descriptions, an entity tagged with the texts of its in-edges.

    Raises:
        ConversionError: no ``vertices`` list.
    """
    bad = bad or BadRecords()
    vertices = graph.get('vertices')
    if not isinstance(vertices, list):
        raise ConversionError('no "vertices" list')
    keys = ['short_caption', 'original_caption'] + (['detail_caption'] if with_detail else [])
    captions = texts([graph[k] for k in keys if isinstance(graph.get(k), str)])
    tags, regions = [], []
    for k, v in enumerate(vertices):
        where = f'vertex {v.get("vertex_id", k) if isinstance(v, dict) else k}'
        try:
            if not isinstance(v, dict):
                raise ConversionError(f'{where}: not an object')
            label = v.get('label')
            descs = _descs(v, where, with_detail)
            if label == 'image':
                captions = captions or descs
                tags += [t for t in texts([e.get('text') for e in v.get('out_edges') or []
                                           if isinstance(e, dict) and isinstance(e.get('text'), str)])
                         if t not in tags]
                continue
            if label not in REGION_LABELS:
                raise ConversionError(f'{where}: unknown label {label!r}')
            vtags = texts([e.get('text') for e in v.get('in_edges') or []
                           if isinstance(e, dict) and isinstance(e.get('text'), str)]) if label == 'entity' else []
            if not descs and not vtags:
                raise ConversionError(f'{where}: no description and no tag')
            regions.append(dict(bbox=_relative_box(v.get('bbox'), (height, width), where), captions=descs,
                                tags=vtags))
        except ConversionError as err:
            bad('bad vertex', where, str(err))
    return umg_record(image, height, width, captions=captions, tags=tags, regions=regions)
