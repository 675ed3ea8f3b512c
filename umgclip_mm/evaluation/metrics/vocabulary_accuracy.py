"""VocabularyAccuracy: mmpretrain's Accuracy whose top-k follows the size of the vocabulary it is evaluated on."""
import copy
from typing import Optional, Sequence, Tuple, Union

from mmengine.logging import print_log
from mmpretrain.evaluation import Accuracy

from umgclip_mm.registry import METRICS


def fit_topk(topk: Sequence[int], num_classes: int, who: str, source: str) -> Tuple[int, ...]:
    """The ``topk`` values a vocabulary of ``num_classes`` classes can answer: those above ``num_classes`` are
    dropped (top-1 kept if none is left), with a logged note naming ``who`` and where the class count came from.

    Args:
        topk (Sequence[int]): The requested k.
        num_classes (int): Classes of the vocabulary.
        who (str): The metric, for the note.
        source (str): Where ``num_classes`` was read, for the note.

    Returns:
        tuple[int]: The k kept, in the requested order.
    """
    kept = tuple(k for k in topk if k <= num_classes) or (1, )
    dropped = [k for k in topk if k not in kept]
    if dropped:
        print_log(f'{who}: top-{"/".join(map(str, dropped))} accuracy dropped: the vocabulary has {num_classes} '
                  f'class{"es" if num_classes != 1 else ""} (counted from {source}); reporting top-'
                  f'{"/".join(map(str, kept))}', logger='current')
    return kept


@METRICS.register_module()
class VocabularyAccuracy(Accuracy):
    """mmpretrain's ``Accuracy`` whose top-k follows the vocabulary: a k larger than the number of classes is
    dropped with a logged note, where ``Accuracy`` ends a whole test with "Top-5 accuracy is unavailable since the
    number of categories is 3". The class count is read from the data set's ``classes`` when the runner hands the
    metric the data set's meta (before the test runs), else from the predictions' score length.

    The metrics keep ``Accuracy``'s names (``accuracy/top1``, ``accuracy/top5``, ...).

    Args:
        topk (int | Sequence[int]): The requested k (those that fit are reported).
        thrs (float | Sequence[float | None] | None): Score thresholds, as ``Accuracy``'s.
        num_classes (int, optional): Fit ``topk`` to this many classes right away.
        collect_device (str): Where results are gathered across ranks.
        prefix (str, optional): Metric name prefix (default ``accuracy``).
    """

    def __init__(self, topk: Union[int, Sequence[int]] = (1, ), thrs: Union[float, Sequence, None] = 0.,
                 num_classes: Optional[int] = None, collect_device: str = 'cpu', prefix: Optional[str] = None):
        super().__init__(topk=topk, thrs=thrs, collect_device=collect_device, prefix=prefix)
        self.requested_topk = self.topk
        if num_classes is not None:
            self.topk = fit_topk(self.requested_topk, num_classes, type(self).__name__, 'num_classes')

    @property
    def dataset_meta(self) -> Optional[dict]:
        return self._dataset_meta

    @dataset_meta.setter
    def dataset_meta(self, dataset_meta: dict) -> None:
        self._dataset_meta = copy.deepcopy(dataset_meta)
        classes = (dataset_meta or {}).get('classes')
        if classes:
            self.topk = fit_topk(self.requested_topk, len(classes), type(self).__name__, "the data set's classes")

    def compute_metrics(self, results) -> dict:
        if results and 'pred_score' in results[0]:
            self.topk = fit_topk(self.topk, results[0]['pred_score'].numel(), type(self).__name__,
                                 "the predictions' score vectors")
        return super().compute_metrics(results)
