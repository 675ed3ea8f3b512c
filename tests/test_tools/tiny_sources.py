"""Tiny copies of public multi-granularity data sets in their official on-disk formats (Visual Genome 1.2,
RefCOCO, Flickr30k Entities, GBC, MG-Data), with real image files, for the converter and mixture tests. Each
writer puts a few deliberately bad entries among the good ones and returns what a correct conversion gives."""
import json
import os
import os.path as osp
import pickle

import numpy as np
from PIL import Image


def write_image(path, width, height, seed=0):
    os.makedirs(osp.dirname(path), exist_ok=True)
    rng = np.random.default_rng(seed)
    Image.fromarray(rng.integers(0, 255, (height, width, 3), dtype=np.uint8)).save(path, quality=95)


def write_vg(root):
    """data_root ``root``: VG_100K/1.jpg (64x48), VG_100K_2/2.jpg (40x56) and the four JSON files. Image 3 has a
    broken size; region 2 of image 1 lies outside the image; object 12 has no name."""
    write_image(osp.join(root, 'VG_100K', '1.jpg'), 64, 48, 1)
    write_image(osp.join(root, 'VG_100K_2', '2.jpg'), 40, 56, 2)
    url = 'https://cs.stanford.edu/people/rak248/{}/{}.jpg'
    image_data = [dict(width=64, height=48, url=url.format('VG_100K', 1), image_id=1, coco_id=None, flickr_id=None),
                  dict(width=40, height=56, url=url.format('VG_100K_2', 2), image_id=2, coco_id=9, flickr_id=None),
                  dict(width='big', height=10, url=url.format('VG_100K', 3), image_id=3, coco_id=None,
                       flickr_id=None)]
    regions = [
        dict(id=1, regions=[dict(region_id=1, width=30, height=20, image_id=1, phrase='a red kite in the sky',
                                 y=2, x=4),
                            dict(region_id=2, width=10, height=10, image_id=1, phrase='nothing here', y=100,
                                 x=100)]),
        dict(id=2, regions=[dict(region_id=3, width=20, height=30, image_id=2, phrase=' man  wearing a hat ',
                                 y=10, x=5)])]
    objects = [
        dict(image_id=1, image_url=url.format('VG_100K', 1),
             objects=[dict(object_id=11, x=4, y=2, w=30, h=20, names=['kite'], synsets=['kite.n.03']),
                      dict(object_id=12, x=0, y=0, w=5, h=5, names=[], synsets=[])]),
        dict(image_id=2, image_url=url.format('VG_100K_2', 2),
             objects=[dict(object_id=21, x=5, y=10, w=20, h=30, names=['man'], synsets=['man.n.01']),
                      dict(object_id=22, x=6, y=8, w=10, h=6, names=['hat'], synsets=['hat.n.01'])])]
    attributes = [
        dict(image_id=1, attributes=[dict(object_id=11, x=4, y=2, w=30, h=20, names=['kite'],
                                          synsets=['kite.n.03'], attributes=['red', 'flying'])]),
        dict(image_id=2, attributes=[dict(object_id=22, x=6, y=8, w=10, h=6, names=['hat'], synsets=['hat.n.01'],
                                          attributes=['black'])])]
    for name, data in (('image_data', image_data), ('region_descriptions', regions), ('objects', objects),
                       ('attributes', attributes)):
        with open(osp.join(root, f'{name}.json'), 'w') as f:
            json.dump(data, f)
    return dict(images=2, bad=['image_data.json[2]', 'image 1 region 1', 'object 1'])


def write_refcoco(root, name='refcoco'):
    """data_root ``root``: train2014/COCO_train2014_*.jpg (64x48, 48x64) and ``root/name/{instances.json,
    refs(unc).p}``. Ref 3 is in the val split; ref 4 names an annotation that does not exist."""
    files = ['COCO_train2014_000000000009.jpg', 'COCO_train2014_000000000025.jpg']
    write_image(osp.join(root, 'train2014', files[0]), 64, 48, 3)
    write_image(osp.join(root, 'train2014', files[1]), 48, 64, 4)
    instances = dict(
        images=[dict(id=9, file_name=files[0], width=64, height=48), dict(id=25, file_name=files[1], width=48,
                                                                          height=64)],
        categories=[dict(id=1, name='person', supercategory='person'), dict(id=18, name='dog',
                                                                            supercategory='animal')],
        annotations=[dict(id=100, image_id=9, category_id=18, iscrowd=0, area=300.0, bbox=[10, 10, 20, 15],
                          segmentation=[[10, 10, 30, 10, 30, 25, 10, 25]]),
                     dict(id=101, image_id=9, category_id=1, iscrowd=0, area=200.0, bbox=[40, 5, 10, 20],
                          segmentation=[[40, 5, 50, 5, 50, 25, 40, 25]]),
                     dict(id=102, image_id=25, category_id=1, iscrowd=0, area=400.0, bbox=[5, 20, 20, 20],
                          segmentation=[[5, 20, 25, 20, 25, 40, 5, 40]])])

    def ref(ref_id, ann_id, image_id, cat, split, sents):
        return dict(ref_id=ref_id, ann_id=ann_id, image_id=image_id, category_id=cat, split=split,
                    file_name=f'COCO_train2014_{image_id:012d}_{ann_id}.jpg', sent_ids=list(range(len(sents))),
                    sentences=[dict(tokens=s.split(), raw=s.capitalize(), sent_id=ref_id * 10 + i, sent=s)
                               for i, s in enumerate(sents)])

    refs = [ref(0, 100, 9, 18, 'train', ['brown dog on the left', 'the dog']),
            ref(1, 101, 9, 1, 'train', ['man standing right']),
            ref(2, 102, 25, 1, 'train', ['person at the bottom']),
            ref(3, 102, 25, 1, 'val', ['held out expression']),
            ref(4, 999, 25, 1, 'train', ['a ghost'])]
    os.makedirs(osp.join(root, name), exist_ok=True)
    with open(osp.join(root, name, 'instances.json'), 'w') as f:
        json.dump(instances, f)
    with open(osp.join(root, name, 'refs(unc).p'), 'wb') as f:
        pickle.dump(refs, f, protocol=2)  # the released files are Python 2 pickles (protocol 2)
    return dict(images=2, bad=['ref 4'])


FLICKR_SENTENCES = {
    '1000092795': [
        '[/EN#1/people Two young guys] with [/EN#3/bodyparts shaggy hair] look at [/EN#4/bodyparts their hands] '
        'while hanging out in [/EN#5/scene the yard] .',
        '[/EN#1/people Two young , White males] are outside near [/EN#6/other many bushes] .',
        '[/EN#2/people A man] in [/EN#7/clothing a blue shirt] is standing in [/EN#5/scene a garden] .',
        '[/EN#1/people Two friends] enjoy [/EN#0/notvisual time] spent together .',
        '[/EN#1/people Two men] stand outside .'],
    '10002456': [
        '[/EN#10/people Several men] in [/EN#11/clothing hard hats] are operating [/EN#12/other a giant pulley] .',
        '[/EN#10/people Workers] look down from up above on [/EN#12/other a piece of equipment] .',
        '[/EN#13/people Two men] working on [/EN#12/other a machine] wearing [/EN#11/clothing hard hats] .',
        '[/EN#10/people Four men] on top of [/EN#14/scene a tall structure] .',
        '[/EN#10/people Three men] on [/EN#12/other a large rig] .'],
}


def _voc_xml(width, height, objects):
    body = ''.join(
        '<object>' + ''.join(f'<name>{n}</name>' for n in names) + (
            f'<bndbox><xmin>{b[0]}</xmin><ymin>{b[1]}</ymin><xmax>{b[2]}</xmax><ymax>{b[3]}</ymax></bndbox>'
            if b else f'<nobndbox>{nobox}</nobndbox><scene>{scene}</scene>') + '</object>'
        for names, b, nobox, scene in objects)
    return (f'<annotation><filename>x.jpg</filename><size><width>{width}</width><height>{height}</height>'
            f'<depth>3</depth></size>{body}</annotation>')


def write_flickr30k_entities(root):
    """data_root ``root``: flickr30k-images/<id>.jpg (two of 60x40), ``root/entities/{Annotations,Sentences}`` and
    ``root/entities/train.txt`` listing both ids and a third whose files are missing. Entity 1 of the first image
    has two boxes (its region is their union); entity 5 is the scene; entity 6 has no box."""
    ann = {
        '1000092795': _voc_xml(60, 40, [(['1', '2'], (5, 5, 20, 35), 0, 0), (['1'], (30, 6, 50, 36), 0, 0),
                                        (['3'], (8, 6, 15, 12), 0, 0), (['4'], (10, 20, 18, 26), 0, 0),
                                        (['7'], (6, 14, 19, 30), 0, 0), (['5'], None, 0, 1), (['6'], None, 1, 0)]),
        '10002456': _voc_xml(60, 40, [(['10'], (1, 1, 40, 30), 0, 0), (['11'], (2, 1, 30, 6), 0, 0),
                                      (['12'], (20, 10, 60, 40), 0, 0), (['13'], (1, 1, 25, 30), 0, 0),
                                      (['14'], None, 0, 1)]),
    }
    for sub in ('Annotations', 'Sentences'):
        os.makedirs(osp.join(root, 'entities', sub), exist_ok=True)
    for k, (image_id, sents) in enumerate(FLICKR_SENTENCES.items()):
        write_image(osp.join(root, 'flickr30k-images', f'{image_id}.jpg'), 60, 40, 5 + k)
        with open(osp.join(root, 'entities', 'Sentences', f'{image_id}.txt'), 'w') as f:
            f.write('\n'.join(sents) + '\n')
        with open(osp.join(root, 'entities', 'Annotations', f'{image_id}.xml'), 'w') as f:
            f.write(ann[image_id])
    with open(osp.join(root, 'entities', 'train.txt'), 'w') as f:
        f.write('1000092795\n10002456\n404\n')
    return dict(images=2, bad=['404'])


def write_gbc(root):
    """data_root ``root``: images/a.jpg (80x60), images/b.jpg (50x50) and gbc.jsonl with their graphs (the schema of
    apple/ml-gbc's GbcGraph), then a line that is not JSON and one whose image is missing."""
    write_image(osp.join(root, 'images', 'a.jpg'), 80, 60, 7)
    write_image(osp.join(root, 'images', 'b.jpg'), 50, 50, 8)

    def box(left, top, right, bottom):
        return dict(left=left, top=top, right=right, bottom=bottom, confidence=None)

    def edge(src, text, dst):
        return dict(source=src, text=text, target=dst)

    graph_a = dict(
        img_url='https://example.com/photos/a.jpg', img_path=None,
        original_caption='my dog and cat at home', short_caption='A dog and a cat on a sofa.',
        detail_caption='The image shows a brown dog lying next to a grey cat on a red sofa in a bright room.',
        vertices=[
            dict(vertex_id='', bbox=box(0, 0, 1, 1), label='image',
                 descs=[dict(text='A dog and a cat on a sofa.', label='short'),
                        dict(text='The image shows a brown dog ...', label='detail')],
                 in_edges=[], out_edges=[edge('', 'dog', 'dog'), edge('', 'cat', 'cat')]),
            dict(vertex_id='dog', bbox=box(0.1, 0.2, 0.5, 0.9), label='entity',
                 descs=[dict(text='A brown dog lying down.', label='short'),
                        dict(text='A brown dog with floppy ears lying on its side.', label='detail')],
                 in_edges=[edge('', 'dog', 'dog')], out_edges=[]),
            dict(vertex_id='cat', bbox=box(0.55, 0.3, 0.95, 0.8), label='entity',
                 descs=[dict(text='A grey cat.', label='short')], in_edges=[edge('', 'cat', 'cat')], out_edges=[]),
            dict(vertex_id='dog|cat', bbox=box(0.1, 0.2, 0.95, 0.9), label='relation',
                 descs=[dict(text='The dog lies beside the cat.', label='relation')], in_edges=[], out_edges=[]),
            dict(vertex_id='bad', bbox=box(2, 2, 3, 3), label='entity',
                 descs=[dict(text='outside the picture', label='short')], in_edges=[], out_edges=[])])
    graph_b = dict(img_url=None, img_path='b.jpg', original_caption=None, short_caption=None, detail_caption=None,
                   vertices=[dict(vertex_id='', bbox=box(0, 0, 1, 1), label='image',
                                  descs=[dict(text='A lone tree in a field.', label='short')], in_edges=[],
                                  out_edges=[edge('', 'tree', 'tree')]),
                             dict(vertex_id='tree', bbox=box(0.3, 0.1, 0.7, 0.9), label='entity',
                                  descs=[dict(text='A tall green tree.', label='short')],
                                  in_edges=[edge('', 'tree', 'tree')], out_edges=[])])
    missing = dict(graph_b, img_path='nowhere.jpg')
    with open(osp.join(root, 'gbc.jsonl'), 'w') as f:
        f.write(json.dumps(graph_a) + '\n' + json.dumps(graph_b) + '\n{"vertices": [\n' + json.dumps(missing) + '\n')
    return dict(images=2, bad=['gbc.jsonl:3', 'gbc.jsonl:4', 'vertex bad'])


def uncompressed_rle(mask):
    """COCO's uncompressed RLE of a binary ``[h, w]`` mask (column-major runs, starting with zeros)."""
    flat = np.asarray(mask, np.uint8).flatten(order='F')
    changes = np.flatnonzero(np.diff(flat)) + 1
    bounds = np.concatenate([[0], changes, [flat.size]])
    runs = np.diff(bounds).tolist()
    if flat[0] == 1:
        runs = [0] + runs
    return dict(size=list(mask.shape), counts=[int(r) for r in runs])


def write_mg_data(root):
    """data_root ``root``: images/0001.jpg (40x30) and mg.jsonl: one sample with two objects and a region (their
    union) in uncompressed RLE, under the converter's default field names; an object with a wrong-size mask; then
    a sample without an image path."""
    write_image(osp.join(root, 'images', '0001.jpg'), 40, 30, 9)
    a = np.zeros((30, 40), np.uint8)
    a[5:20, 3:15] = 1
    b = np.zeros((30, 40), np.uint8)
    b[10:28, 20:38] = 1
    sample = dict(image='0001.jpg', height=30, width=40, short_caption='two boxes on a table',
                  long_caption='A long description ' * 20,
                  objects=[dict(id=0, caption='a small red box', mask=uncompressed_rle(a)),
                           dict(id=1, caption='a large blue box', mask=uncompressed_rle(b)),
                           dict(id=2, caption='misfit', mask=uncompressed_rle(np.zeros((5, 5), np.uint8)))],
                  regions=[dict(caption='a red box left of a blue box', mask=uncompressed_rle(a | b),
                                related_objects=[0, 1])])
    with open(osp.join(root, 'mg.jsonl'), 'w') as f:
        f.write(json.dumps(sample) + '\n' + json.dumps(dict(sample, image=None)) + '\n')
    return dict(images=1, masks=[a, b, a | b], bad=['mg.jsonl:2', 'objects[2]'])


LOAD_PIPELINE = [dict(type='umgclip_mm.LoadUMGImage'), dict(type='umgclip_mm.LoadUMGAnnotations'),
                 dict(type='umgclip_mm.PackUMGInputs')]


def pretrain_pipeline():
    """The toy pretraining config's training pipeline (load, crop to 64 px, sample captions, pack)."""
    from mmengine.config import Config

    from conftest import REPO
    return Config.fromfile(osp.join(REPO, 'configs', '_base_', 'datasets', 'umg_synthetic.py')).train_pipeline


def load_converted(root, pattern):
    """Every sample of converted shards, twice: through LOAD_PIPELINE (exact geometry, all texts) and through the
    pretraining pipeline (as training sees them). Returns ``(records, exact samples, pretraining samples)``."""
    from umgclip_mm.datasets import UMGDataset
    exact = UMGDataset(pattern, data_root=root, pipeline=LOAD_PIPELINE, test_mode=True)
    train = UMGDataset(pattern, data_root=root, pipeline=pretrain_pipeline())
    records = []
    for i in range(len(exact)):
        shard, line = exact.locate(i)
        records.append(json.loads(open(shard).read().splitlines()[line - 1]))
    return records, [exact[i] for i in range(len(exact))], [train[(i, 1234 + i)] for i in range(len(train))]


def convert(capsys, tool, *args, status=0):
    """Run ``tools/dataset_converters/<tool>.py``'s ``main`` in this process (no interpreter start-up, no second
    import of torch) with ``args``; returns its ``(stdout, stderr)`` and fails unless it exits with ``status``."""
    import importlib.util

    from conftest import REPO
    spec = importlib.util.spec_from_file_location(f'{tool}_under_test',
                                                  osp.join(REPO, 'tools', 'dataset_converters', f'{tool}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    got = module.main([str(a) for a in args])
    out, err = capsys.readouterr()
    assert got == status, f'{tool} exited {got}, not {status}:\n{out}\n{err}'
    return out, err
