"""Shipped class lists (umgclip_mm/vocabulary/class_lists) and build_vocabulary(dict(class_list=...))."""
import os
import os.path as osp

import pytest

from conftest import REPO
from umgclip_mm.vocabulary import (CLASS_LIST_DIR, available_class_lists, build_vocabulary, class_list_path, name_key,
                                   read_class_list)

COUNTS = dict(ade20k_150=150, ade20k_847=847, pascal_context_59=59, pascal_context_459=459, pascal_voc_20=20,
              pascal_voc_21=21)


@pytest.mark.parametrize('name,count', sorted(COUNTS.items()))
def test_each_list_has_its_count_of_distinct_classes_and_names_its_source(name, count):
    entries = read_class_list(name)
    assert len(entries) == count
    firsts = [name_key(e) for e in entries]
    assert all(firsts) and len(set(firsts)) == count, 'two classes share a first name'
    with open(class_list_path(name), encoding='utf-8') as f:
        header = [ln for ln in f if ln.startswith('#')]
    assert any('Source: bytedance/fc-clip' in ln for ln in header)
    vocab = build_vocabulary(dict(class_list=name))
    assert len(vocab) == count and vocab.num_things == count


def test_lists_agree_with_mmseg_names_and_with_each_other():
    from mmseg.datasets import ADE20KDataset, PascalContextDataset59, PascalVOCDataset
    for name, ds in (('ade20k_150', ADE20KDataset), ('pascal_context_59', PascalContextDataset59),
                     ('pascal_voc_21', PascalVOCDataset)):
        build_vocabulary(dict(class_list=name)).check_names(list(ds.METAINFO['classes']), name)
    voc21 = build_vocabulary(dict(class_list='pascal_voc_21'))
    assert voc21.synonyms[1:] == build_vocabulary(dict(class_list='pascal_voc_20')).synonyms
    a847 = build_vocabulary(dict(class_list='ade20k_847'))
    assert a847.names[:3] == ['wall', 'building', 'sky'] and a847.synonyms[1] == (
        'building', 'buildings', 'edifice', 'edifices')
    assert a847.names[191] == 'suitcase' and 'bag' in a847.synonyms[191]  # a repeated first name made distinct
    assert build_vocabulary(dict(class_list='pascal_context_459')).names[:2] == ['accordion', 'aeroplane']


def test_unknown_name_lists_the_available_ones_and_every_file_is_found():
    with pytest.raises(KeyError, match='ade20k_847.*pascal_voc_21'):
        build_vocabulary(dict(class_list='ade20k_848'))
    with pytest.raises(KeyError, match='available'):
        class_list_path('../vocabulary')
    files = {f[:-4] for f in os.listdir(CLASS_LIST_DIR) if f.endswith('.txt')}
    assert set(available_class_lists()) == files >= set(COUNTS)
    assert osp.dirname(class_list_path('ade20k_150')) == CLASS_LIST_DIR


def test_package_data_ships_the_lists():
    import setuptools
    captured = {}
    orig = setuptools.setup
    setuptools.setup = lambda **kw: captured.update(kw)
    try:
        code = open(osp.join(REPO, 'setup.py'), encoding='utf-8').read()
        exec(compile(code, 'setup.py', 'exec'), dict(__file__=osp.join(REPO, 'setup.py'), __name__='setup'))
    finally:
        setuptools.setup = orig
    assert 'class_lists/*.txt' in captured['package_data']['umgclip_mm.vocabulary']


def test_lvis_lists_split_mmdets_1203_classes_and_the_configs_use_them():
    """lvis_v1_base_866 (frequent and common) and lvis_v1_rare_337 partition mmdet's LVISV1Dataset classes, each in
    its label order; the OV-LVIS configs train on the base list and test on all 1203."""
    from mmdet.datasets import LVISV1Dataset
    from mmengine.config import Config
    names = list(LVISV1Dataset.METAINFO['classes'])
    base, rare = read_class_list('lvis_v1_base_866'), read_class_list('lvis_v1_rare_337')
    assert (len(base), len(rare)) == (866, 337) and not set(base) & set(rare)
    assert [n for n in names if n not in rare] == base and [n for n in names if n in rare] == rare
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'fvlm', 'fvlm_umgclip-vit-b16_vit-pyramid_8xb2-1x_ov-lvis.py'))
    train, test = build_vocabulary(cfg.model.train_vocab), build_vocabulary(cfg.model.test_vocab)
    assert train == build_vocabulary(base) and len(test) == 1203
    assert test.unseen_names(train) == build_vocabulary(rare).names
    assert cfg.train_dataloader.dataset.dataset.class_list == 'lvis_v1_base_866'
