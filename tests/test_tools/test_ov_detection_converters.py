"""tools/dataset_converters/prepare_ov_coco.py and prepare_ov_lvis.py on tiny files in COCO's and LVIS's formats."""
import json
import os.path as osp
import subprocess
import sys

from conftest import REPO, run_tool
from umgclip_mm.datasets.fake_layouts import coco_instance_categories


def coco_file(path, with_all_names=True):
    """A tiny instances_*2017.json with COCO's 80 categories (or only those it annotates): image 1 shows a person
    and a bus, 2 a cat, 3 a traffic light, 4 a car (crowd)."""
    cats = coco_instance_categories()
    if not with_all_names:
        cats = [c for c in cats if c['id'] in (1, 3, 6, 10, 17)]
    box = dict(bbox=[1.0, 2.0, 10.0, 20.0], area=200.0, segmentation=[[1, 2, 11, 2, 11, 22, 1, 22]], iscrowd=0)
    anns = [dict(box, id=11, image_id=1, category_id=1), dict(box, id=12, image_id=1, category_id=6),
            dict(box, id=13, image_id=2, category_id=17), dict(box, id=14, image_id=3, category_id=10),
            dict(box, id=15, image_id=4, category_id=3, iscrowd=1)]
    images = [dict(id=i, file_name=f'{i:012d}.jpg', height=480, width=640) for i in (1, 2, 3, 4)]
    data = dict(info=dict(description='tiny'), licenses=[], images=images, annotations=anns, categories=cats)
    with open(path, 'w') as f:
        json.dump(data, f)
    return data


def test_prepare_ov_coco(tmp_path):
    assert run_tool('tools/dataset_converters/prepare_ov_coco.py', '--help').stdout.startswith('usage:')
    (tmp_path / 'annotations').mkdir()
    src = coco_file(tmp_path / 'annotations' / 'instances_train2017.json')
    coco_file(tmp_path / 'annotations' / 'instances_val2017.json')
    run_tool('tools/dataset_converters/prepare_ov_coco.py', str(tmp_path), '--oriorder')
    train = json.load(open(tmp_path / 'annotations' / 'instances_train2017_seen_2.json'))
    val = json.load(open(tmp_path / 'annotations' / 'instances_val2017_all_2.json'))
    # train: base annotations only (person, the crowd car), the images showing one, the 48 base categories
    assert [a['id'] for a in train['annotations']] == [11, 15]
    assert [im['id'] for im in train['images']] == [1, 4]
    assert len(train['categories']) == 48 and {c['split'] for c in train['categories']} == {'seen'}
    # val: base and novel annotations, the 65 categories in the file's (COCO's) order with their ids and split
    assert [a['id'] for a in val['annotations']] == [11, 12, 13, 15]
    assert [im['id'] for im in val['images']] == [1, 2, 4]
    assert len(val['categories']) == 65 and 'traffic light' not in {c['name'] for c in val['categories']}
    assert [c['id'] for c in val['categories'][:7]] == [1, 2, 3, 4, 5, 6, 7]  # person ... train, no traffic light
    assert {c['name']: c['split'] for c in val['categories']}['bus'] == 'unseen'
    assert val['info'] == src['info']
    # Detic's _oriorder copies: the same, with every category of the source
    ori = json.load(open(tmp_path / 'annotations' / 'instances_val2017_all_2_oriorder.json'))
    assert ori['annotations'] == val['annotations'] and ori['categories'] == src['categories']


def test_prepare_ov_coco_errors(tmp_path):
    tool = osp.join(REPO, 'tools/dataset_converters/prepare_ov_coco.py')
    proc = subprocess.run([sys.executable, tool, str(tmp_path)], capture_output=True, text=True)
    assert proc.returncode and 'instances_train2017.json not found' in proc.stderr and 'cocodataset.org' in proc.stderr
    (tmp_path / 'annotations').mkdir()
    coco_file(tmp_path / 'annotations' / 'instances_train2017.json', with_all_names=False)
    proc = subprocess.run([sys.executable, tool, str(tmp_path)], capture_output=True, text=True)
    assert proc.returncode and '"categories" lacks' in proc.stderr and 'instances_train2017.json' in proc.stderr


def lvis_file(path, frequency=True):
    """A tiny lvis_v1_train.json: categories of each frequency, image 1 with all three, image 2 with the rare one."""
    cats = [dict(id=1, name='aerosol_can', frequency='c', synset='aerosol.n.02', image_count=1, instance_count=1),
            dict(id=2, name='applesauce', frequency='r', synset='applesauce.n.01', image_count=2, instance_count=2),
            dict(id=3, name='speaker_(stero_equipment)', frequency='f', synset='loudspeaker.n.01', image_count=1,
                 instance_count=1)]
    if not frequency:
        del cats[1]['frequency']
    box = dict(bbox=[1.0, 2.0, 10.0, 20.0], area=200.0, segmentation=[[1, 2, 11, 2, 11, 22, 1, 22]])
    anns = [dict(box, id=1, image_id=1, category_id=1), dict(box, id=2, image_id=1, category_id=2),
            dict(box, id=3, image_id=1, category_id=3), dict(box, id=4, image_id=2, category_id=2)]
    images = [dict(id=i, height=480, width=640, coco_url=f'http://images.cocodataset.org/train2017/{i:012d}.jpg',
                   neg_category_ids=[], not_exhaustive_category_ids=[]) for i in (1, 2)]
    data = dict(info={}, licenses=[], images=images, annotations=anns, categories=cats)
    with open(path, 'w') as f:
        json.dump(data, f)
    return data


def test_prepare_ov_lvis(tmp_path):
    assert run_tool('tools/dataset_converters/prepare_ov_lvis.py', '--help').stdout.startswith('usage:')
    (tmp_path / 'annotations').mkdir()
    src = lvis_file(tmp_path / 'annotations' / 'lvis_v1_train.json')
    proc = run_tool('tools/dataset_converters/prepare_ov_lvis.py', str(tmp_path))
    assert '2 of 4 annotations kept' in proc.stdout
    out = json.load(open(tmp_path / 'annotations' / 'lvis_v1_train_norare.json'))
    assert [a['id'] for a in out['annotations']] == [1, 3]  # the rare applesauce's are gone
    assert out['images'] == src['images'] and out['categories'] == src['categories']  # all kept, frequency too


def test_prepare_ov_lvis_errors(tmp_path):
    tool = osp.join(REPO, 'tools/dataset_converters/prepare_ov_lvis.py')
    proc = subprocess.run([sys.executable, tool, str(tmp_path)], capture_output=True, text=True)
    assert proc.returncode and 'lvis_v1_train.json not found' in proc.stderr and 'lvisdataset.org' in proc.stderr
    lvis_file(tmp_path / 'no_freq.json', frequency=False)
    proc = subprocess.run([sys.executable, tool, str(tmp_path), '--train-ann', str(tmp_path / 'no_freq.json')],
                          capture_output=True, text=True)
    assert proc.returncode and 'no_freq.json' in proc.stderr and '"frequency"' in proc.stderr
