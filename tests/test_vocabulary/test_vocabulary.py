"""Vocabularies: every spec form, synonyms, seen/unseen, and the checks against other class lists."""
import pytest

from umgclip_mm.vocabulary import DEFAULT_TEMPLATES, Vocabulary, build_vocabulary, check_templates, clean_class_name


def test_class_names_are_cleaned():
    assert clean_class_name('wall-other-merged') == 'wall' and clean_class_name('dining_table') == 'dining table'
    assert clean_class_name('sky-other') == 'sky' and clean_class_name('door-stuff') == 'door'


def test_specs_from_lists_files_and_dicts(tmp_path):
    v = build_vocabulary(dict(thing_classes=['cat|kitten'], stuff_classes=['sky'], synonyms=dict(sky=['heaven'])))
    assert v.synonyms == (('cat', 'kitten'), ('sky', 'heaven')) and v.thing_classes == ['cat']
    assert v.stuff_classes == ['sky'] and len(v) == 2
    plain = build_vocabulary(['cat', 'dog|puppy'])  # a list: classes without the thing/stuff distinction
    assert plain.names == ['cat', 'dog'] and plain.num_things == 2
    path = tmp_path / 'classes.txt'
    path.write_text('# my classes\ncat|kitten\n\ndog\n')
    assert build_vocabulary(str(path)).synonyms == (('cat', 'kitten'), ('dog', ))
    assert build_vocabulary(dict(classes_file=str(path), synonyms={'dog': ['hound']})).synonyms[1] == ('dog', 'hound')
    mixed = build_vocabulary(dict(thing_classes_file=str(path), stuff_classes=['grass']))
    assert mixed.num_things == 2 and mixed.stuff_classes == ['grass']
    assert build_vocabulary(v) is v and build_vocabulary(None) is None


def test_specs_from_registered_data_sets():
    coco = build_vocabulary(dict(dataset='mmdet.CocoPanopticDataset'))
    assert len(coco) == 133 and coco.num_things == 80 and 'wall' in coco.names
    ade = build_vocabulary(dict(dataset='mmdet.ADE20KPanopticDataset'))
    assert len(ade) == 150 and ade.num_things == 100
    seen = ade.seen_mask(coco)
    assert 0 < sum(seen) < 150 and seen[ade.names.index('bed')]
    assert 'bed' not in ade.unseen_names(coco) and len(ade.unseen_names(coco)) == 150 - sum(seen)
    sem = build_vocabulary(dict(dataset='mmseg.ADE20KDataset'))  # no thing/stuff split: every class a thing
    assert len(sem) == 150 and sem.num_things == 150
    # ADE20K's comma-separated names are synonyms: 'refrigerator, icebox' is COCO's refrigerator
    fridge = ade.names.index('refrigerator')
    assert ade.synonyms[fridge] == ('refrigerator', 'icebox') and seen[fridge]
    assert {'toilet', 'road', 'mountain'} <= {n for n, s in zip(ade.names, seen) if s}
    with pytest.raises(KeyError, match='no data set type'):
        build_vocabulary(dict(dataset='mmdet.NoSuchDataset'))


def test_duplicates_in_a_published_list_warn_typed_ones_fail():
    imagenet = build_vocabulary(dict(dataset='mmpretrain.ImageNet'))  # e.g. two classes are called "crane"
    assert len(imagenet) == 1000 and imagenet.num_things == 1000
    assert imagenet.duplicates() == [(264, 474), (134, 517), (638, 639)]  # Cardigan (corgi), crane, maillot
    with pytest.raises(ValueError, match="class 2 \\('Cat'\\) repeats class 0"):
        build_vocabulary(['cat', 'dog', 'Cat|kitty'])


def test_vocabularies_made_by_hand_are_hashable():
    v = Vocabulary([['cat', 'kitten'], ['dog']], 2)
    assert v.synonyms == (('cat', 'kitten'), ('dog', ))
    # usable as a cache key: the same vocabulary made again (from tuples this time) finds the entry
    assert {v.synonyms: 'embeds'}[Vocabulary([('cat', 'kitten'), ('dog', )], 2).synonyms] == 'embeds'
    with pytest.raises(ValueError, match='at least one name'):
        Vocabulary([['cat'], []], 1)


def test_bad_specs_are_clear_errors():
    with pytest.raises(KeyError, match='unknown keys'):
        build_vocabulary(dict(things=['a']))
    with pytest.raises(FileNotFoundError, match='one class per line'):
        build_vocabulary(dict(thing_classes_file='/nonexistent/classes.txt'))
    with pytest.raises(ValueError, match='empty class name'):
        build_vocabulary(['cat', ' | '])
    with pytest.raises(ValueError, match='no classes'):
        build_vocabulary(dict(classes=[]))
    with pytest.raises(TypeError, match='strings'):
        build_vocabulary([3])


def test_check_names_reports_the_first_mismatch():
    v = build_vocabulary(dict(thing_classes=['cat', 'dog'], stuff_classes=['sky-other-merged']))
    v.check_names(['cat', 'dog', 'sky'], 'data', num_things=2)
    with pytest.raises(ValueError, match="class 1 is 'bird' but the model's vocabulary has 'dog'"):
        v.check_names(['cat', 'bird', 'sky'], 'data')
    with pytest.raises(ValueError, match='2 classes but'):
        v.check_names(['cat', 'dog'], 'data')
    with pytest.raises(ValueError, match='1 thing classes'):
        v.check_names(['cat', 'dog', 'sky'], 'data', num_things=1)


def test_templates():
    assert check_templates(DEFAULT_TEMPLATES) == DEFAULT_TEMPLATES
    assert check_templates('a {}') == ('a {}', )
    for bad in ([], ['no slot'], ['{} and {}']):
        with pytest.raises(ValueError, match='exactly one'):
            check_templates(bad)
    with pytest.raises(ValueError, match='num_things'):
        Vocabulary((('a', ), ), 2)
