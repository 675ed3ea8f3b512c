"""tools/dataset_converters/mg_data2umg.py on a tiny MG-Data JSON-lines file (uncompressed COCO RLE masks), under
the default and under renamed field names."""
import json
import os.path as osp

import numpy as np

from conftest import run_tool
from test_tools.tiny_sources import convert, load_converted, write_mg_data

TOOL = 'tools/dataset_converters/mg_data2umg.py'


def test_help():
    out = run_tool(TOOL, '--help').stdout
    assert out.startswith('usage:') and '--field' in out and 'related_objects' in out


def test_mg_data_to_umg(tmp_path, capsys):
    root = str(tmp_path)
    expect = write_mg_data(root)
    out, err = convert(capsys, 'mg_data2umg', osp.join(root, 'mg.jsonl'), osp.join(root, 'umg', 'train'),
                       '--image-prefix', 'images', '--object-boxes')
    assert 'wrote 1 images in 1 shard(s)' in out and '2 skipped' in out
    for name in expect['bad']:
        assert name in err, name
    records, exact, train = load_converted(root, 'umg/train-*.jsonl')
    rec = records[0]
    assert rec['image'] == 'images/0001.jpg' and rec['captions'] == ['two boxes on a table']
    assert [m['captions'] for m in rec['masks']] == [['a small red box'], ['a large blue box'],
                                                     ['a red box left of a blue box']]
    assert all(isinstance(m['segmentation']['counts'], str) for m in rec['masks'])  # compressed on the way
    masks = exact[0]['data_samples'].masks.masks.numpy()
    for got, want in zip(masks, expect['masks']):
        assert np.array_equal(got, want.astype(bool))
    assert exact[0]['data_samples'].regions.bboxes.tolist() == [[3.0, 5.0, 15.0, 20.0], [20.0, 10.0, 38.0, 28.0]]
    assert all(out['inputs'].shape == (3, 64, 64) for out in train)
    # other field names, given on the command line
    sample = json.loads(open(osp.join(root, 'mg.jsonl')).readline())
    renamed = dict(file=sample['image'], caption_short=sample['short_caption'],
                   objs=[dict(text=o['caption'], rle=o['mask']) for o in sample['objects'][:2]])
    with open(osp.join(root, 'renamed.json'), 'w') as f:
        json.dump([renamed], f)
    out, _ = convert(capsys, 'mg_data2umg', osp.join(root, 'renamed.json'), osp.join(root, 'renamed'), '--field',
                     'image=file', '--field', 'short_caption=caption_short', '--field', 'objects=objs', '--field',
                     'caption=text', '--field', 'mask=rle')
    assert 'wrote 1 images' in out and '2 masks' in out and 'nothing skipped' in out
