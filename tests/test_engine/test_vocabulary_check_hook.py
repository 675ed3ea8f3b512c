"""VocabularyCheckHook: data set classes, model vocabularies and the metric's unseen list are checked before any
step, and the first mismatch is a clear error."""
from types import SimpleNamespace

import pytest
import torch

from umgclip_mm.engine import VocabularyCheckHook
from umgclip_mm.registry import HOOKS
from umgclip_mm.vocabulary import build_vocabulary

THINGS, STUFF = ['circle', 'square', 'star'], ['sky', 'sand-merged']
TRAIN = build_vocabulary(dict(thing_classes=['circle', 'square'], stuff_classes=['sky']))
TEST = build_vocabulary(dict(thing_classes=THINGS, stuff_classes=STUFF))


class Model(torch.nn.Module):

    def __init__(self):
        super().__init__()
        self.train_vocab, self.test_vocab = TRAIN, TEST


def dataset(things, stuff):
    return SimpleNamespace(metainfo=dict(classes=things + stuff, thing_classes=things, stuff_classes=stuff))


def runner(train=None, val=None, unseen=('star', 'sand')):
    metric = SimpleNamespace(unseen_classes={u for u in unseen})
    loop = SimpleNamespace(dataloader=SimpleNamespace(dataset=val or dataset(THINGS, STUFF)),
                           evaluator=SimpleNamespace(metrics=[metric, SimpleNamespace()]))
    return SimpleNamespace(model=Model(),
                           train_dataloader=SimpleNamespace(dataset=train or dataset(['circle', 'square'], ['sky'])),
                           val_loop=loop, test_loop=loop)


def test_agreeing_setup_passes_and_the_hook_is_registered():
    hook = HOOKS.build(dict(type='umgclip_mm.VocabularyCheckHook'))
    assert isinstance(hook, VocabularyCheckHook)  # registered; the checks below raise nothing
    r = runner()
    hook.before_train(r)
    hook.before_val(r)
    hook.before_test(r)
    plain = SimpleNamespace(model=torch.nn.Linear(1, 1))  # not an open-vocabulary model: nothing to check
    hook.before_train(plain)


def test_training_classes_in_another_order():
    with pytest.raises(ValueError, match="train_dataloader.dataset .*class 0 is 'square'.* has 'circle'"):
        VocabularyCheckHook().before_train(runner(train=dataset(['square', 'circle'], ['sky'])))


def test_training_checks_the_validation_set_and_metric_before_the_first_step():
    with pytest.raises(ValueError, match="val_dataloader.dataset .*class 2 is 'hexagon'"):
        VocabularyCheckHook().before_train(runner(val=dataset(['circle', 'square', 'hexagon'], STUFF)))
    with pytest.raises(ValueError, match="val_evaluator: 'sand' is missing"):
        VocabularyCheckHook().before_train(runner(unseen=('star', )))
    no_val = runner()
    no_val.val_loop = None
    VocabularyCheckHook().before_train(no_val)


def test_thing_stuff_split_differs():
    with pytest.raises(ValueError, match='2 thing classes'):
        VocabularyCheckHook().before_val(runner(val=dataset(['circle', 'square'], ['star', 'sky', 'sand'])))


def test_unseen_lists():
    with pytest.raises(ValueError, match="'hexagon', which is not a class"):
        VocabularyCheckHook().before_val(runner(unseen=('star', 'sand', 'hexagon')))
    with pytest.raises(ValueError, match="'sand' is missing from the training vocabulary but .* does not list it"):
        VocabularyCheckHook().before_test(runner(unseen=('star', )))
    with pytest.raises(ValueError, match="'sky' is in the training vocabulary but .* lists it"):
        VocabularyCheckHook().before_test(runner(unseen=('star', 'sand', 'sky')))
    VocabularyCheckHook(check_metrics=False).before_test(runner(unseen=('star', )))


def test_training_free_model_keeps_the_data_check_but_not_the_unseen_split():
    """ZeroShotSegmentor learnt no class: a metric's seen / unseen split (kept to compare with trained models) is not
    the model's, so it is not checked; the data set's classes still are."""
    from umgclip_mm.models.segmentors import ZeroShotSegmentor
    assert ZeroShotSegmentor.learns_vocabulary is False
    r = runner(unseen=('star', ))
    r.model.learns_vocabulary = False
    VocabularyCheckHook().before_test(r)
    r.test_loop.dataloader.dataset = dataset(['circle', 'square', 'hexagon'], STUFF)
    with pytest.raises(ValueError, match="class 2 is 'hexagon'"):
        VocabularyCheckHook().before_test(r)
