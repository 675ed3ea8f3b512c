"""tools/dataset_converters/gbc2umg.py on tiny GBC JSON lines (apple/ml-gbc's GbcGraph schema) with JPEGs."""
import os.path as osp

from conftest import run_tool
from test_tools.tiny_sources import convert, load_converted, write_gbc

TOOL = 'tools/dataset_converters/gbc2umg.py'


def test_help():
    out = run_tool(TOOL, '--help').stdout
    assert out.startswith('usage:') and '--image-root' in out and '--with-detail' in out


def test_gbc_to_umg(tmp_path, capsys):
    root = str(tmp_path)
    expect = write_gbc(root)
    out, err = convert(capsys, 'gbc2umg', osp.join(root, 'gbc.jsonl'), osp.join(root, 'umg', 'train'), '--image-root',
                       osp.join(root, 'images'), '--image-prefix', 'images')
    assert 'wrote 2 images in 1 shard(s)' in out and '3 skipped' in out
    for name in expect['bad']:
        assert name in err, name
    assert 'nowhere.jpg not found' in err
    records, exact, train = load_converted(root, 'umg/train-*.jsonl')
    a, b = records
    assert a['image'] == 'images/a.jpg' and (a['height'], a['width']) == (60, 80)  # size read from the JPEG
    assert a['captions'] == ['A dog and a cat on a sofa.', 'my dog and cat at home'] and a['tags'] == ['dog', 'cat']
    dog, cat, rel = a['regions']
    assert dog == dict(bbox=[8.0, 12.0, 40.0, 54.0], captions=['A brown dog lying down.'], tags=['dog'])
    assert cat['tags'] == ['cat'] and rel['captions'] == ['The dog lies beside the cat.'] and rel['tags'] == []
    # no top-level captions: the image vertex's descriptions
    assert b['captions'] == ['A lone tree in a field.'] and b['regions'][0]['tags'] == ['tree']
    assert len(exact[0]['data_samples'].regions) == 3
    assert all(out['inputs'].shape == (3, 64, 64) for out in train)
    convert(capsys, 'gbc2umg', osp.join(root, 'gbc.jsonl'), osp.join(root, 'detail'), '--image-root',
            osp.join(root, 'images'), '--with-detail')
    detail = open(osp.join(root, 'detail-00000.jsonl')).readline()
    assert 'bright room' in detail and 'floppy ears' in detail
