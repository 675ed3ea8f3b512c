"""tools/dataset_converters/coco2umg.py on COCO-format files made from the toy world."""
import json
import os.path as osp

import torch

from conftest import run_tool
from test_tools.tiny_sources import convert
from umgclip_mm.datasets import UMGDataset
from umgclip_mm.datasets.toy_world import generate

PIPELINE = [dict(type='umgclip_mm.LoadUMGImage'), dict(type='umgclip_mm.LoadUMGAnnotations'),
            dict(type='umgclip_mm.PackUMGInputs')]


def test_coco_to_umg(tmp_path, capsys):
    root = str(tmp_path)
    generate(root, num_train=5, num_val=0, size=48)
    records = [json.loads(line) for line in open(osp.join(root, 'umg', 'train.jsonl'))]
    pan = json.load(open(osp.join(root, 'annotations', 'panoptic_train.json')))
    cats = {c['name']: c['id'] for c in pan['categories']}
    images = [dict(id=i, file_name=osp.basename(r['image']), height=48, width=48) for i, r in enumerate(records)]
    instances = dict(images=images, categories=pan['categories'], annotations=[
        dict(id=len(records) * 10 + k, image_id=i, category_id=cats[reg['tags'][0]], iscrowd=0,
             bbox=[reg['bbox'][0], reg['bbox'][1], reg['bbox'][2] - reg['bbox'][0], reg['bbox'][3] - reg['bbox'][1]])
        for i, r in enumerate(records) for k, reg in enumerate(r['regions'])])
    instances['annotations'].append(dict(id=999, image_id=0, category_id=1, iscrowd=1, bbox=[0, 0, 5, 5]))
    # bad annotations: counted, named, skipped
    instances['annotations'].append(dict(id=998, image_id=12345, category_id=1, iscrowd=0, bbox=[0, 0, 5, 5]))
    instances['annotations'].append(dict(id=997, image_id=0, category_id=1, iscrowd=0, bbox=[100, 100, 5, 5]))
    captions = dict(images=images, annotations=[dict(id=i, image_id=i, caption=r['captions'][0] + ' ')
                                                for i, r in enumerate(records)])
    for name, data in (('instances', instances), ('captions', captions)):
        json.dump(data, open(osp.join(root, f'{name}.json'), 'w'))
    out, err = convert(capsys, 'coco2umg', osp.join(root, 'coco_umg', 'train'), '--image-prefix', 'images/train',
                       '--captions', osp.join(root, 'captions.json'), '--instances', osp.join(root, 'instances.json'),
                       '--panoptic', osp.join(root, 'annotations', 'panoptic_train.json'),
                       '--panoptic-dir', osp.join(root, 'annotations', 'panoptic_train'), '--shard-size', '3')
    assert 'in 2 shard(s)' in out and '2 skipped: 2 bad instance' in out
    assert 'instances annotation 998: image_id 12345' in err and 'annotation 997' in err
    assert run_tool('tools/dataset_converters/coco2umg.py', '--help').stdout.startswith('usage:')
    ds = UMGDataset('coco_umg/train-*.jsonl', data_root=root, pipeline=PIPELINE, test_mode=True)
    ref = UMGDataset('umg/train.jsonl', data_root=root, pipeline=PIPELINE, test_mode=True)
    assert len(ds) == len(records)
    for i in range(len(ds)):
        got, want = ds[i], ref[i]
        assert torch.equal(got['inputs'], want['inputs'])
        g, w = got['data_samples'], want['data_samples']
        torch.testing.assert_close(g.regions.bboxes, w.regions.bboxes)  # the crowd box is not a region
        assert torch.equal(g.masks.masks, w.masks.masks)  # every panoptic segment, things and stuff
        # COCO tags an item with its category only; the toy world's tags start with it
        assert g.regions.tags == [t[:1] for t in w.regions.tags] and g.masks.tags == [t[:1] for t in w.masks.tags]
        assert g.metainfo['source'] and records[i]['captions'][0] == json.loads(
            open(ds.locate(i)[0]).readlines()[ds.locate(i)[1] - 1])['captions'][0]
