"""tools/dataset_converters/flickr30k_entities2umg.py on a tiny Flickr30k Entities (Annotations/*.xml,
Sentences/*.txt, a split file) with its JPEGs."""
import os.path as osp

import pytest
import torch

from conftest import run_tool
from test_tools.tiny_sources import FLICKR_SENTENCES, convert, load_converted, write_flickr30k_entities
from umgclip_mm.datasets.converters import ConversionError, parse_annotation, parse_sentences

TOOL = 'tools/dataset_converters/flickr30k_entities2umg.py'


def test_help():
    out = run_tool(TOOL, '--help').stdout
    assert out.startswith('usage:') and '--entities' in out and '--ids' in out


def test_flickr30k_entities_to_umg(tmp_path, capsys):
    root = str(tmp_path)
    write_flickr30k_entities(root)
    out, err = convert(capsys, 'flickr30k_entities2umg', osp.join(root, 'umg', 'train'), '--entities',
                       osp.join(root, 'entities'), '--ids', osp.join(root, 'entities', 'train.txt'), '--image-prefix',
                       'flickr30k-images')
    assert 'wrote 2 images in 1 shard(s)' in out and '1 skipped: 1 bad image' in out
    assert '404' in err and 'Sentences/404.txt not found' in err
    records, exact, train = load_converted(root, 'umg/train-*.jsonl')
    first = records[0]
    assert first['image'] == 'flickr30k-images/1000092795.jpg' and (first['height'], first['width']) == (40, 60)
    assert first['captions'][0] == 'Two young guys with shaggy hair look at their hands while hanging out in the yard .'
    assert len(first['captions']) == 5
    people = next(r for r in first['regions'] if 'Two men' in r['captions'])
    # entity 1 has two boxes (1-based inclusive corners 5..20 and 30..50): the region is their union
    assert people['bbox'] == [4.0, 4.0, 50.0, 36.0] and people['tags'] == ['people']
    assert people['captions'] == ['Two young guys', 'Two young , White males', 'Two friends', 'Two men']
    phrases = [c for r in first['regions'] for c in r['captions']]
    assert 'the yard' not in phrases and 'many bushes' not in phrases and 'time' not in phrases  # scene, no box
    shirt = next(r for r in first['regions'] if r['captions'] == ['a blue shirt'])
    assert shirt['tags'] == ['clothing'] and 'other' not in first['tags'] and 'scene' in first['tags']
    boxes = exact[0]['data_samples'].regions.bboxes
    assert torch.equal(boxes[0], torch.tensor([4., 4., 50., 36.]))
    assert all(out['inputs'].shape == (3, 64, 64) for out in train)
    # no --ids: every annotation file
    out, _ = convert(capsys, 'flickr30k_entities2umg', osp.join(root, 'all'), '--entities', osp.join(root, 'entities'))
    assert 'wrote 2 images' in out and 'nothing skipped' in out


def test_parsers_name_what_is_wrong():
    sents, ents = parse_sentences('\n'.join(FLICKR_SENTENCES['10002456']))
    assert sents[0] == 'Several men in hard hats are operating a giant pulley .'
    assert ents['12']['types'] == ['other'] and len(ents['10']['phrases']) == 4
    with pytest.raises(ConversionError, match=r'x:1: unbalanced'):
        parse_sentences('[/EN#1/people A man is here .', where='x')
    with pytest.raises(ConversionError, match='not XML'):
        parse_annotation('<annotation><size>')
    with pytest.raises(ConversionError, match='not an integer'):
        parse_annotation('<annotation><size><width>5</width><height>5</height></size><object><name>1</name>'
                         '<bndbox><xmin>a</xmin><ymin>1</ymin><xmax>2</xmax><ymax>2</ymax></bndbox></object>'
                         '</annotation>')
