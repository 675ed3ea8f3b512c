"""Counting and logging of skipped samples and items, so bad input is reported without flooding the log."""
from collections import Counter
from logging import WARNING

from mmengine.logging import print_log


class SkipReport:
    """Counts skips per reason and logs them: every one of the first ``first_n`` of a reason, then every ``every``-th
    with the running count. Counts are per process (each data loader worker keeps its own).

    Args:
        first_n (int): Skips of one reason logged individually.
        every (int): After that, log one in ``every`` with the count so far.
    """

    def __init__(self, first_n: int = 20, every: int = 1000):
        self.first_n = first_n
        self.every = every
        self.counts = Counter()

    def __call__(self, reason: str, source: str, detail: str = '') -> None:
        """Record one skip. ``source`` names the shard and line (``train-00001.jsonl:42``)."""
        self.counts[reason] += 1
        n = self.counts[reason]
        if n <= self.first_n or n % self.every == 0:
            print_log(f'skipped ({reason}, {n} so far in this process) at {source}: {detail}', logger='current',
                      level=WARNING)


SKIPS = SkipReport()
