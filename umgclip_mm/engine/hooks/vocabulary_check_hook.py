"""VocabularyCheckHook: the data set's classes, the model's vocabulary and the metric's unseen list must agree."""
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from umgclip_mm.registry import HOOKS
from umgclip_mm.vocabulary import Vocabulary, name_key


def check_dataset_vocabulary(vocab: Vocabulary, dataset, what: str) -> None:
    """Raise at the first class where ``dataset.metainfo['classes']`` (label ``i``) and ``vocab`` (class ``i``)
    disagree, or where their thing/stuff splits differ (when the data set has one)."""
    meta = getattr(dataset, 'metainfo', None) or {}
    if 'classes' not in meta:
        return
    things = meta.get('thing_classes')
    vocab.check_names(list(meta['classes']), f'{what} ({type(dataset).__name__}) classes',
                      num_things=len(things) if things is not None and 'stuff_classes' in meta else None)


def check_unseen_lists(train_vocab: Vocabulary, test_vocab: Vocabulary, evaluator, what: str) -> None:
    """Each metric with an ``unseen_classes`` list must name exactly the test classes missing from the training
    vocabulary (the classes the model's ensemble treats as unseen)."""
    expected = {name_key(n) for n in test_vocab.unseen_names(train_vocab)}
    for metric in getattr(evaluator, 'metrics', []):
        listed = getattr(metric, 'unseen_classes', None)
        if listed is None:
            continue
        listed = {name_key(n) for n in listed}
        test_names = {name_key(n) for n in test_vocab.names}
        strangers = sorted(listed - test_names)
        if strangers:
            raise ValueError(f'{what}: {type(metric).__name__}.unseen_classes names {strangers[0]!r}, which is not a '
                             f'class of the model\'s test vocabulary')
        differ = sorted(listed ^ expected)
        if differ:
            name = differ[0]
            side = 'is in the training vocabulary' if name in listed else 'is missing from the training vocabulary'
            raise ValueError(f'{what}: {name!r} {side} but {type(metric).__name__}.unseen_classes '
                             f'{"lists" if name in listed else "does not list"} it, so PQ_seen / PQ_unseen would '
                             f'not split as the model does; make unseen_classes the test classes missing from '
                             f'train_vocab')


@HOOKS.register_module()
class VocabularyCheckHook(Hook):
    """Before training (the training and the validation set) and before each evaluation, check that an open-vocabulary model, its data and its metrics
    agree on the classes: the training data set's classes equal ``model.train_vocab`` (same order: label ``i`` is
    class ``i``), the evaluation data set's equal ``model.test_vocab``, and a metric's ``unseen_classes`` are
    exactly the test classes the training vocabulary lacks. The first mismatch is an error naming both sides,
    raised before any step is spent. Models without ``train_vocab`` are not checked.

    Args:
        check_data (bool): Check data sets against the vocabularies.
        check_metrics (bool): Check metrics' unseen lists.
    """

    priority = 'VERY_HIGH'

    def __init__(self, check_data: bool = True, check_metrics: bool = True):
        self.check_data = check_data
        self.check_metrics = check_metrics

    @staticmethod
    def _model(runner):
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        return model if isinstance(getattr(model, 'train_vocab', None), Vocabulary) else None

    def before_train(self, runner) -> None:
        model = self._model(runner)
        if model is None:
            return
        if self.check_data:
            check_dataset_vocabulary(model.train_vocab, runner.train_dataloader.dataset, 'train_dataloader.dataset')
        if runner.val_loop is not None:  # the first validation may be many steps away: check it now
            self._check_eval(runner, runner.val_loop, 'val')

    def _check_eval(self, runner, loop, what: str) -> None:
        model = self._model(runner)
        if model is None:
            return
        if self.check_data:
            check_dataset_vocabulary(model.test_vocab, loop.dataloader.dataset, f'{what}_dataloader.dataset')
        # a training-free model (ZeroShotSegmentor) learnt no class: every class is unseen to it, and a metric's
        # seen / unseen split is only there to compare it with trained models on the same data
        if self.check_metrics and getattr(model, 'learns_vocabulary', True):
            check_unseen_lists(model.train_vocab, model.test_vocab, loop.evaluator, f'{what}_evaluator')

    def before_val(self, runner) -> None:
        self._check_eval(runner, runner.val_loop, 'val')

    def before_test(self, runner) -> None:
        self._check_eval(runner, runner.test_loop, 'test')
