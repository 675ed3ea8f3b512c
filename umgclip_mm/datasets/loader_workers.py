"""How torch's ``DataLoader`` deals a pass of an iterable data set among its workers: each worker's share, the order
in which their batches come out, and where every worker stands after a number of batches (to resume a stream)."""
import math
from typing import List, Optional, Sequence, Tuple


def worker_quotas(num_rank: int, num_workers: int, batch_size: Optional[int] = None) -> List[int]:
    """How many samples each data loader worker of a rank yields per pass, ``num_rank`` in all: equal shares (the
    first ``num_rank % num_workers`` one more), or whole batches of ``batch_size`` (then ``num_rank`` is a multiple
    of it)."""
    unit = batch_size or 1
    blocks = num_rank // unit
    return [(blocks // num_workers + (w < blocks % num_workers)) * unit for w in range(num_workers)]


def loader_order(batches: Sequence[int]) -> List[int]:
    """The worker each batch of one pass comes from, in the order torch's ``DataLoader`` hands them out: round
    robin from worker 0, passing over workers that have finished their share (``batches[w]`` batches each)."""
    left, order = list(batches), []
    while any(left):
        for w in range(len(left)):
            if left[w]:
                left[w] -= 1
                order.append(w)
    return order


def resume_plan(quotas: List[int], num_batches: int, bs: int) -> Tuple[int, int, List[int]]:
    """Where a rank's workers stand after ``num_batches`` batches (``UMGWebDataset.skip``).

    Args:
        quotas (list[int]): Samples each worker yields per pass (:func:`worker_quotas`).
        num_batches (int): Batches the rank's loader has handed out since the start.
        bs (int): The loader's batch size.

    Returns:
        tuple: ``(rotation, full, in_pass)``: ``full`` passes done, worker ``w`` has given ``in_pass[w]`` samples of
        the pass in progress, and the loader, which hands out the rest of that pass from worker 0, would next have
        taken a batch from worker ``rotation``.
    """
    batches = [math.ceil(q / bs) for q in quotas]
    full, done = divmod(num_batches, sum(batches))
    order = loader_order(batches)
    served = [0] * len(quotas)
    for w in order[:done]:
        served[w] += 1
    in_pass = [min(s * bs, q) for s, q in zip(served, quotas)]
    rotation = (order[done - 1] + 1) % len(quotas) if done else 0
    return rotation, full, in_pass
