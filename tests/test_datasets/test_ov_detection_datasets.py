"""umgclip_mm.OVCocoDataset and OVLVISDataset: missing-file errors, training on base classes, the skip option, the
base/novel split in metainfo; and the toy world's COCO instances file."""
import json

import numpy as np
import pytest
from pycocotools import mask as mask_utils

from umgclip_mm.datasets import OVCocoDataset, OVLVISDataset
from umgclip_mm.datasets.toy_world import THINGS, generate


def write(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))
    return str(path)


def tiny_coco(path):
    """Categories dog (1), cat (2), bus (3); images 1 shows a dog, 2 a dog and a cat, 3 a cat and a dog, 4 a bus
    (crowd)."""
    box = dict(bbox=[1.0, 1.0, 8.0, 8.0], area=64.0, iscrowd=0)
    return write(path, dict(
        images=[dict(id=i, file_name=f'{i}.jpg', height=32, width=32) for i in (1, 2, 3, 4)],
        annotations=[dict(box, id=1, image_id=1, category_id=1), dict(box, id=2, image_id=2, category_id=1),
                     dict(box, id=3, image_id=2, category_id=2), dict(box, id=4, image_id=3, category_id=2),
                     dict(box, id=5, image_id=4, category_id=3, iscrowd=1), dict(box, id=6, image_id=3, category_id=1)],
        categories=[dict(id=1, name='dog'), dict(id=2, name='cat'), dict(id=3, name='bus')]))


def build_coco(ann_file, **kwargs):
    return OVCocoDataset(ann_file=ann_file, data_prefix=dict(img=''), pipeline=[], **kwargs)


def test_ov_coco_missing_file_names_the_command(tmp_path):
    with pytest.raises(FileNotFoundError, match='prepare_ov_coco.py .*coco') as err:
        build_coco(str(tmp_path / 'coco' / 'annotations' / 'instances_train2017_seen_2.json'))
    assert 'instances_train2017_seen_2.json not found' in str(err.value)
    with pytest.raises(FileNotFoundError, match='make_synthetic.py .*synthetic'):
        build_coco(str(tmp_path / 'synthetic' / 'annotations' / 'instances_val.json'))
    with pytest.raises(FileNotFoundError, match='my_cmd --here'):
        build_coco(str(tmp_path / 'other.json'), prepare_cmd='my_cmd --here')


def test_ov_coco_trains_on_base_classes(tmp_path):
    ann = tiny_coco(tmp_path / 'instances.json')
    filt = dict(filter_empty_gt=True, min_size=1)
    # base = dog: cat and bus annotations dropped, the image left without any dropped; dog+cat images stay
    ds = build_coco(ann, metainfo=dict(classes=['dog']), filter_cfg=filt)
    assert [d['img_id'] for d in ds] == [1, 2, 3]
    assert [[i['bbox_label'] for i in d['instances']] for d in ds] == [[0], [0], [0]]
    # the inductive protocol: no training image shows a class outside classes
    ds = build_coco(ann, metainfo=dict(classes=['dog']), filter_cfg=filt, skip_unlisted_images=True)
    assert [d['img_id'] for d in ds] == [1]
    # labels number the listed classes; test mode keeps every image and carries the split for OVCocoMetric
    meta = dict(classes=['dog', 'cat', 'bus'], base_classes=['dog', 'bus'], novel_classes=['cat'])
    ds = build_coco(ann, metainfo=meta, test_mode=True, skip_unlisted_images=True)
    assert len(ds) == 4 and ds.metainfo['novel_classes'] == ['cat']
    assert [i['bbox_label'] for i in ds[1]['instances']] == [0, 1]
    assert [i['ignore_flag'] for i in ds[3]['instances']] == [1]  # the crowd bus
    # every image with a cat shows a dog too: skipping leaves nothing, which is an error, not an empty run
    with pytest.raises(ValueError, match='skip_unlisted_images=True leaves none'):
        build_coco(ann, metainfo=dict(classes=['cat']), filter_cfg=filt, skip_unlisted_images=True)


def test_ov_coco_rejects_classes_that_would_mislabel(tmp_path):
    ann = tiny_coco(tmp_path / 'instances.json')
    with pytest.raises(ValueError, match=r"instances.json: metainfo classes \['horse'\] are not among"):
        build_coco(ann, metainfo=dict(classes=['dog', 'horse']))
    with pytest.raises(ValueError, match=r"category order.*\['dog', 'cat'\]"):
        build_coco(ann, metainfo=dict(classes=['cat', 'dog']))
    with pytest.raises(ValueError, match=r"novel_classes \['bus'\] are not in metainfo classes"):
        build_coco(ann, metainfo=dict(classes=['dog', 'cat'], base_classes=['dog'], novel_classes=['bus']),
                   test_mode=True)


def test_toy_world_instances(tmp_path):
    generate(str(tmp_path), num_train=4, num_val=2, size=48)
    for split in ('train', 'val'):
        inst = json.load(open(tmp_path / 'annotations' / f'instances_{split}.json'))
        pan = json.load(open(tmp_path / 'annotations' / f'panoptic_{split}.json'))
        assert [(c['id'], c['name']) for c in inst['categories']] == [
            (c['id'], c['name']) for c in pan['categories'] if c['isthing']] == [(i + 1, t) for i, t in
                                                                                  enumerate(THINGS)]
        assert inst['images'] == pan['images']
        things = [(a['image_id'], s) for a in pan['annotations'] for s in a['segments_info'] if s['category_id'] <= 8]
        assert len(inst['annotations']) == len(things) > 0
        assert len({a['id'] for a in inst['annotations']}) == len(things)
        for ann, (img_id, seg) in zip(inst['annotations'], things):
            assert (ann['image_id'], ann['category_id'], ann['bbox'], ann['area'], ann['iscrowd']) == (
                img_id, seg['category_id'], seg['bbox'], seg['area'], 0)
            rle = dict(ann['segmentation'], counts=ann['segmentation']['counts'].encode())
            assert mask_utils.area(rle) == ann['area'] and np.allclose(mask_utils.toBbox(rle), ann['bbox'])


def tiny_lvis(path):
    """LVIS v1 format: aerosol_can (c), applesauce (r), the files' speaker_(stero_equipment) (f)."""
    box = dict(bbox=[1.0, 1.0, 8.0, 8.0], area=64.0, segmentation=[[1, 1, 9, 1, 9, 9, 1, 9]])
    return write(path, dict(
        images=[dict(id=i, height=32, width=32, coco_url=f'http://images.cocodataset.org/val2017/{i:012d}.jpg',
                     neg_category_ids=[], not_exhaustive_category_ids=[]) for i in (1, 2)],
        annotations=[dict(box, id=1, image_id=1, category_id=1), dict(box, id=2, image_id=1, category_id=3),
                     dict(box, id=3, image_id=2, category_id=2)],
        categories=[dict(id=1, name='aerosol_can', frequency='c'), dict(id=2, name='applesauce', frequency='r'),
                    dict(id=3, name='speaker_(stero_equipment)', frequency='f')]))


def test_ov_lvis(tmp_path):
    pytest.importorskip('lvis')
    with pytest.raises(FileNotFoundError, match=r'lvis_v1_train_norare.json not found.*prepare_ov_lvis.py .*lvis'):
        OVLVISDataset(ann_file=str(tmp_path / 'lvis' / 'annotations' / 'lvis_v1_train_norare.json'), pipeline=[],
                      data_prefix=dict(img=''))
    ann = tiny_lvis(tmp_path / 'lvis_v1_val.json')
    ds = OVLVISDataset(ann_file=ann, data_prefix=dict(img=''), pipeline=[], test_mode=True)
    assert ds.metainfo['novel_classes'] == ['applesauce']
    assert ds.metainfo['base_classes'] == ['aerosol_can', 'speaker_(stereo_equipment)']  # mmdet's spelling
    assert ds[0]['img_path'].endswith('val2017/000000000001.jpg')
    assert [i['bbox_label'] for d in ds for i in d['instances']] == [0, 2, 1]  # all the file's categories
    # training on the base classes: labels number them, the rare image goes (filter_empty_gt)
    ds = OVLVISDataset(ann_file=ann, data_prefix=dict(img=''), pipeline=[],
                       metainfo=dict(classes=ds.metainfo['base_classes']), filter_cfg=dict(filter_empty_gt=True))
    assert [[i['bbox_label'] for i in d['instances']] for d in ds] == [[0, 1]]
    with pytest.raises(ValueError, match='category order'):
        OVLVISDataset(ann_file=ann, data_prefix=dict(img=''), pipeline=[],
                      metainfo=dict(classes=['speaker_(stereo_equipment)', 'aerosol_can']))
