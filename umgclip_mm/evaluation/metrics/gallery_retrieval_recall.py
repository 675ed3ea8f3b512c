"""GalleryRetrievalRecall: mmpretrain's RetrievalRecall whose recall@k follows the size of the gallery searched."""
from typing import Optional, Sequence, Union

from mmpretrain.evaluation import RetrievalRecall

from umgclip_mm.registry import METRICS
from .vocabulary_accuracy import fit_topk


@METRICS.register_module()
class GalleryRetrievalRecall(RetrievalRecall):
    """mmpretrain's ``RetrievalRecall`` whose k follow the gallery: a k larger than the number of candidates (the
    captions for image -> text, the images for text -> image) is dropped with a logged note, where
    ``RetrievalRecall`` ends a whole test with torch's ``selected index k out of range`` (recall@10 on a set of
    fewer than 10 images, such as a user's own captions in ``configs/custom``).

    ``RetrievalTestLoop`` evaluates image -> text and then text -> image with the same metric, so the k are fitted
    again for each evaluation, from the score vectors it receives. The metrics keep ``RetrievalRecall``'s names
    (``i2t/retrieval/Recall@1``, ...); a dropped k is absent, not reported as 100.

    Args:
        topk (int | Sequence[int]): The requested k (those the gallery can answer are reported).
        collect_device (str): Where results are gathered across ranks.
        prefix (str, optional): Metric name prefix (default ``retrieval``).
    """

    def __init__(self, topk: Union[int, Sequence[int]], collect_device: str = 'cpu', prefix: Optional[str] = None):
        super().__init__(topk=topk, collect_device=collect_device, prefix=prefix)
        self.requested_topk = tuple(self.topk)

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        if data_samples and not self.results:  # the first batch of an evaluation: fit to its gallery
            self.topk = fit_topk(self.requested_topk, data_samples[0]['pred_score'].numel(), type(self).__name__,
                                 'the candidates scored per query')
        super().process(data_batch, data_samples)
