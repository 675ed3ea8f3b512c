"""Flickr30k Entities -> UMG records: the five sentences become image captions, each entity with boxes a region
captioned with its phrases and tagged with its types (docs/data_format.md, "From Flickr30k Entities")."""
import re
import xml.etree.ElementTree as ET
from typing import Dict, List, Optional, Tuple

from .umg_writer import BadRecords, ConversionError, texts, umg_record, xyxy_box

# [/EN#<entity id>/<type>[/<type>...] <phrase words>]
_PHRASE = re.compile(r'\[/EN#(\d+)((?:/[^\s\]]+)+)\s+([^\]]*)\]')
# entity types that say nothing of what the thing is
UNTAGGED_TYPES = ('other', 'notvisual')


def parse_sentences(text: str, where: str = 'Sentences') -> Tuple[List[str], Dict[str, dict]]:
    """The sentences of a ``Sentences/<id>.txt`` with the markup removed, and ``{entity id: {'phrases': [...],
    'types': [...]}}`` of the phrases they mark (entity ``0`` is "not visual" and left out).

    Raises:
        ConversionError: a line has an unclosed ``[/EN#`` or no sentence is left.
    """
    sentences, entities = [], {}
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        if line.count('[') != line.count(']'):
            raise ConversionError(f'{where}:{n}: unbalanced [ ] in {line.strip()!r}')
        for eid, types, phrase in _PHRASE.findall(line):
            if eid == '0':
                continue
            ent = entities.setdefault(eid, dict(phrases=[], types=[]))
            for t in types.strip('/').split('/'):
                if t and t not in ent['types']:
                    ent['types'].append(t)
            for p in texts(phrase):
                if p not in ent['phrases']:
                    ent['phrases'].append(p)
        plain = _PHRASE.sub(lambda m: m.group(3), line)
        if '[/EN#' in plain:
            raise ConversionError(f'{where}:{n}: malformed entity markup in {line.strip()!r}')
        sentences += texts(plain)
    if not sentences:
        raise ConversionError(f'{where}: no sentence')
    return sentences, entities


def parse_annotation(xml_text: str, where: str = 'Annotations') -> Tuple[int, int, Dict[str, List[List[float]]]]:
    """``(height, width, {entity id: [[x1, y1, x2, y2], ...]})`` of an ``Annotations/<id>.xml``. The file's
    corners are 1-based and inclusive (the official reader subtracts 1 from each): a box covers pixels
    ``xmin - 1 .. xmax - 1``, which is ``[xmin - 1, ymin - 1, xmax, ymax]`` as pixel edges. An object may carry
    several ``name`` elements (one box shared by entities); objects with ``nobndbox`` or ``scene`` have no box.

    Raises:
        ConversionError: not XML, no ``size``, or a box corner that is not an integer.
    """
    try:
        root = ET.fromstring(xml_text)
    except ET.ParseError as err:
        raise ConversionError(f'{where}: not XML ({err})') from None
    try:
        width = int(root.findtext('size/width'))
        height = int(root.findtext('size/height'))
    except (TypeError, ValueError):
        raise ConversionError(f'{where}: no integer size/width and size/height') from None
    boxes: Dict[str, List[List[float]]] = {}
    for k, obj in enumerate(root.iter('object')):
        box = obj.find('bndbox')
        if box is None:
            continue
        try:
            x1, y1, x2, y2 = (int(box.findtext(t)) for t in ('xmin', 'ymin', 'xmax', 'ymax'))
        except (TypeError, ValueError):
            raise ConversionError(f'{where}: object {k} has a bndbox corner that is not an integer') from None
        for name in obj.findall('name'):
            if name.text and name.text.strip():
                boxes.setdefault(name.text.strip(), []).append([x1 - 1, y1 - 1, x2, y2])
    return height, width, boxes


def convert_flickr30k_entities(image: str, sentences_text: str, xml_text: str, where: str = '',
                               bad: Optional[BadRecords] = None) -> dict:
    """The UMG record of one Flickr30k Entities image.

    Args:
        image (str): The image's path under the data root.
        sentences_text (str): Its ``Sentences/<id>.txt``.
        xml_text (str): Its ``Annotations/<id>.xml``.
        where (str): The image id, for messages.
        bad (BadRecords, optional): Where entities whose box is outside the image are counted.

    Returns:
        dict: The five sentences (markup removed) as captions; one region per entity with boxes: its box (the
        union of its boxes when the phrase names several things, e.g. "two men"), captioned with every phrase
        of the entity, tagged with its types except ``other``; the image's tags are all the entities' tags.

    Raises:
        ConversionError: either file is malformed.
    """
    bad = bad or BadRecords()
    captions, entities = parse_sentences(sentences_text, f'{where} Sentences')
    height, width, boxes = parse_annotation(xml_text, f'{where} Annotations')
    regions, tags = [], []
    for eid, ent in entities.items():
        ent_tags = [t for t in ent['types'] if t not in UNTAGGED_TYPES]
        tags += [t for t in ent_tags if t not in tags]
        if eid not in boxes or not ent['phrases']:
            continue  # a scene or a thing without a box: its phrases stay in the captions
        bs = boxes[eid]
        box = [min(b[0] for b in bs), min(b[1] for b in bs), max(b[2] for b in bs), max(b[3] for b in bs)]
        try:
            regions.append(dict(bbox=xyxy_box(*box, width, height, f'{where} entity {eid}'),
                                captions=ent['phrases'], tags=ent_tags))
        except ConversionError as err:
            bad('bad box', f'{where} entity {eid}', str(err))
    return umg_record(image, height, width, captions=captions, tags=tags, regions=regions)
