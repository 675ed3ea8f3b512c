"""GalleryRetrievalRecall under the evaluator calls of mmpretrain's RetrievalTestLoop (image -> text, then text ->
image on the same metric): recall@k of known rankings, a k above the gallery dropped for that direction only,
where mmpretrain's RetrievalRecall stops with torch's 'selected index k out of range'."""
import pytest
import torch
from mmengine.evaluator import Evaluator
from mmpretrain.evaluation import RetrievalRecall

from umgclip_mm.evaluation.metrics import GalleryRetrievalRecall


def samples(scores, truths):
    return [dict(pred_score=torch.tensor(s, dtype=torch.float), gt_label=torch.tensor(t)) for s, t in
            zip(scores, truths)]


def ranked(n, first, hit_rank):
    """A score vector over n candidates whose candidate ``first`` is at rank ``hit_rank`` (1-based)."""
    order = [c for c in range(n) if c != first]
    order.insert(hit_rank - 1, first)
    score = [0.0] * n
    for rank, c in enumerate(order):
        score[c] = float(n - rank)
    return score


def test_recall_at_k_fits_each_direction_of_a_three_image_set():
    # 3 images, 12 captions: image -> text over 12 candidates keeps 1/5/10; text -> image over 3 keeps 1 only
    i2t = samples([ranked(12, 0, 1), ranked(12, 4, 6), ranked(12, 8, 11)], [[0, 1], [4], [8]])
    t2i = samples([ranked(3, i % 3, 1 + (i % 2)) for i in range(12)], [[i % 3] for i in range(12)])
    evaluator = Evaluator(GalleryRetrievalRecall(topk=(1, 5, 10)))
    evaluator.process(i2t, None)
    # hits at ranks 1, 6, 11: recall@1 1/3, @5 1/3, @10 2/3
    assert evaluator.evaluate(3) == pytest.approx({'retrieval/Recall@1': 100 / 3, 'retrieval/Recall@5': 100 / 3,
                                                   'retrieval/Recall@10': 200 / 3})
    evaluator.process(t2i, None)
    assert evaluator.evaluate(12) == {'retrieval/Recall@1': 50.0}  # half the captions find their image first
    evaluator.process(i2t, None)  # the next evaluation fits again to its own gallery
    assert set(evaluator.evaluate(3)) == {'retrieval/Recall@1', 'retrieval/Recall@5', 'retrieval/Recall@10'}

    plain = Evaluator(RetrievalRecall(topk=(1, 5, 10)))  # what the configs used before
    with pytest.raises(RuntimeError, match='out of range'):
        plain.process(t2i, None)
