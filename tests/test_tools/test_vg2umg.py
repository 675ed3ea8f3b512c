"""tools/dataset_converters/vg2umg.py on a tiny Visual Genome 1.2 (image_data, region_descriptions, objects,
attributes JSON and JPEGs in VG_100K/ and VG_100K_2/)."""
import os.path as osp

import torch

from conftest import run_tool
from test_tools.tiny_sources import convert, load_converted, write_vg

TOOL = 'tools/dataset_converters/vg2umg.py'


def test_help():
    out = run_tool(TOOL, '--help').stdout
    assert out.startswith('usage:') and '--region-descriptions' in out and '--attributes' in out


def test_visual_genome_to_umg(tmp_path, capsys):
    root = str(tmp_path)
    expect = write_vg(root)
    out, err = convert(capsys, 'vg2umg', osp.join(root, 'umg', 'train'), '--image-data',
                       osp.join(root, 'image_data.json'), '--region-descriptions',
                       osp.join(root, 'region_descriptions.json'), '--objects', osp.join(root, 'objects.json'),
                       '--attributes', osp.join(root, 'attributes.json'))
    assert 'wrote 2 images in 1 shard(s)' in out and '3 skipped' in out
    for name in expect['bad']:  # each bad entry is named, and the run went on
        assert name in err, name
    assert '3/3' in err  # mmengine's progress bar over image_data.json's entries
    records, exact, train = load_converted(root, 'umg/train-*.jsonl')
    by_image = {r['image']: r for r in records}
    assert set(by_image) == {'VG_100K/1.jpg', 'VG_100K_2/2.jpg'}  # the folder comes from each image's url
    one = by_image['VG_100K/1.jpg']
    assert one['regions'][0] == dict(bbox=[4.0, 2.0, 34.0, 22.0], captions=['a red kite in the sky'], tags=[])
    kite = one['regions'][1]  # the object, with its attributes as tags
    assert kite['bbox'] == [4.0, 2.0, 34.0, 22.0] and kite['tags'] == ['kite', 'red kite', 'flying kite']
    assert one['tags'] == ['kite'] and one['captions'] == []
    two = by_image['VG_100K_2/2.jpg']
    assert two['regions'][0]['captions'] == ['man wearing a hat']  # whitespace normalised
    assert [r['tags'] for r in two['regions'][1:]] == [['man'], ['hat', 'black hat']] and two['tags'] == ['man', 'hat']
    sample = exact[[r['image'] for r in records].index('VG_100K/1.jpg')]['data_samples']
    torch.testing.assert_close(sample.regions.bboxes, torch.tensor([[4., 2., 34., 22.]] * 2))
    assert sample.regions.tags == [[], ['kite', 'red kite', 'flying kite']]
    for out in train:  # the pretraining pipeline: 64 px crops, one caption per item
        assert out['inputs'].shape == (3, 64, 64) and len(out['data_samples'].regions) >= 1
