"""ADE20K847Dataset, PascalContext459Dataset (16-bit detectron2 layout) and OVSemSegDataset (seen classes)."""
import os

import numpy as np
import pytest
from mmengine.registry import init_default_scope
from PIL import Image

from umgclip_mm.datasets import ADE20K847Dataset, OVSemSegDataset, PascalContext459Dataset
from umgclip_mm.vocabulary import build_vocabulary, read_class_list

TOY = ['circle', 'square', 'triangle', 'star', 'ring', 'cross', 'diamond', 'hexagon', 'sky', 'grass', 'water',
       'sand', 'wall']


def write_pair(root, img_dir, seg_dir, stem, label, img_ext='.jpg', seg_ext='.tif'):
    os.makedirs(os.path.join(root, img_dir), exist_ok=True)
    os.makedirs(os.path.join(root, seg_dir), exist_ok=True)
    Image.fromarray(np.full(label.shape + (3, ), 128, np.uint8)).save(os.path.join(root, img_dir, stem + img_ext))
    Image.fromarray(label).save(os.path.join(root, seg_dir, stem + seg_ext))


PIPE = [dict(type='LoadImageFromFile'), dict(type='umgclip_mm.LoadSegAnnotations16'), dict(type='PackSegInputs')]


@pytest.mark.parametrize('cls,img_dir,seg_dir,n', [
    (ADE20K847Dataset, 'images_detectron2/validation', 'annotations_detectron2/validation', 847),
    (PascalContext459Dataset, 'images/validation', 'annotations_ctx459/validation', 459),
])
def test_16bit_benchmarks_read_their_layout_and_keep_labels_above_255(tmp_path, cls, img_dir, seg_dir, n):
    init_default_scope('mmseg')
    root = str(tmp_path)
    write_pair(root, img_dir, seg_dir, 'a', np.array([[300, n - 1], [65535, 0]], np.uint16))
    write_pair(root, img_dir, seg_dir, 'b', np.array([[1, 2], [3, 4]], np.uint16))
    ds = cls(data_root=root, data_prefix=dict(img_path=img_dir, seg_map_path=seg_dir), pipeline=PIPE, test_mode=True)
    assert len(ds) == 2 and len(ds.metainfo['classes']) == n and ds.ignore_index == 65535
    gt = ds[0]['data_samples'].gt_sem_seg.data
    assert gt[0].tolist() == [[300, n - 1], [65535, 0]]
    assert len(build_vocabulary(dict(dataset=f'umgclip_mm.{cls.__name__}'))) == n
    name = 'ade20k_847' if n == 847 else 'pascal_context_459'
    build_vocabulary(dict(class_list=name)).check_names(list(ds.metainfo['classes']), 'dataset')
    assert ds.metainfo['classes'][0] == read_class_list(name)[0].split(',')[0]
    # a subset drops the rest to 65535, not to 255 (a real class here)
    keep = [ds.metainfo['classes'][300], ds.metainfo['classes'][1]]
    sub = cls(data_root=root, data_prefix=dict(img_path=img_dir, seg_map_path=seg_dir), pipeline=PIPE,
              metainfo=dict(classes=keep))
    assert sub.label_map[300] == 0 and sub.label_map[1] == 1 and sub.label_map[255] == 65535
    assert sub[0]['data_samples'].gt_sem_seg.data[0].tolist() == [[0, 65535], [65535, 65535]]
    with pytest.raises(ValueError, match="'zebra'.*not one of the data set's"):
        cls(data_root=root, data_prefix=dict(img_path=img_dir, seg_map_path=seg_dir), metainfo=dict(classes=['zebra']))


@pytest.fixture
def toy(tmp_path):
    """Three toy-world scenes: 0 shows seen classes only, 1 shows 'star' (unseen), 2 shows 'sand' (unseen)."""
    root = str(tmp_path)
    labels = [np.array([[0, 8], [9, 255]], np.uint8), np.array([[3, 8], [9, 9]], np.uint8),
              np.array([[11, 1], [255, 2]], np.uint8)]
    for i, lab in enumerate(labels):
        write_pair(root, 'images/train', 'semantic/train', f'train_{i:06d}', lab, '.png', '.png')
    os.makedirs(os.path.join(root, 'vocab'))
    with open(os.path.join(root, 'vocab', 'classes.txt'), 'w') as f:
        f.write('\n'.join(TOY) + '\n')
    return root


def build_toy(root, **kwargs):
    init_default_scope('mmseg')
    kwargs.setdefault('metainfo', dict(classes=TOY))
    return OVSemSegDataset(data_root=root, data_prefix=dict(img_path='images/train', seg_map_path='semantic/train'),
                           pipeline=[dict(type='LoadImageFromFile'), dict(type='LoadAnnotations'),
                                     dict(type='PackSegInputs')], **kwargs)


def test_toy_world_all_classes_seen_classes_and_skipping(toy):
    full = build_toy(toy)
    assert len(full) == 3 and full.label_map is None and list(full.metainfo['classes']) == TOY
    assert full[1]['data_samples'].gt_sem_seg.data[0].tolist() == [[3, 8], [9, 9]]
    seen = [c for c in TOY if c not in ('star', 'hexagon', 'sand')]
    sub = build_toy(toy, seen_classes=seen)
    assert list(sub.metainfo['classes']) == seen and list(sub.metainfo['all_classes']) == TOY
    assert len(sub) == 3
    # star (3) and sand (11) -> 255, the others renumbered among the seen classes
    assert sub[1]['data_samples'].gt_sem_seg.data[0].tolist() == [[255, seen.index('sky')], [7, 7]]
    assert sub[2]['data_samples'].gt_sem_seg.data[0].tolist() == [[255, 1], [255, 2]]
    skipped = build_toy(toy, seen_classes=seen, skip_unlisted_images=True)
    assert len(skipped) == 1 and skipped[0]['data_samples'].img_path.endswith('train_000000.png')
    assert len(build_toy(toy, seen_classes=seen, skip_unlisted_images=True, test_mode=True)) == 3
    from_file = build_toy(toy, metainfo=None, class_list=os.path.join(toy, 'vocab', 'classes.txt'))
    assert list(from_file.metainfo['classes']) == TOY
    shipped = build_toy(toy, metainfo=None, class_list='pascal_voc_21')
    assert len(shipped.metainfo['classes']) == 21 and shipped.metainfo['classes'][0] == 'background'


def test_toy_errors_name_the_problem(toy):
    with pytest.raises(ValueError, match='no classes'):
        build_toy(toy, metainfo=None)
    with pytest.raises(ValueError, match='either as metainfo.*or as class_list'):
        build_toy(toy, class_list='pascal_voc_21')
    with pytest.raises(KeyError, match='no class list .*available'):
        build_toy(toy, metainfo=None, class_list='no_such_list')
    with pytest.raises(ValueError, match="'zebra'.*seen_classes|seen_classes.*'zebra'"):
        build_toy(toy, seen_classes=['circle', 'zebra'])
    with pytest.raises(ValueError, match='all 3 label maps.*skip_unlisted_images'):
        build_toy(toy, seen_classes=['wall'], skip_unlisted_images=True)
    with pytest.raises(ValueError, match=r'train_000000.png: label 8 but the data set has 5 classes'):
        build_toy(toy, metainfo=dict(classes=TOY[:5]), seen_classes=TOY[:2], skip_unlisted_images=True)
    with pytest.raises(FileNotFoundError, match='image folder .*nowhere not found'):
        OVSemSegDataset(data_root=toy, data_prefix=dict(img_path='nowhere', seg_map_path='semantic/train'),
                        metainfo=dict(classes=TOY))
