"""ResumableInfiniteSampler: mmengine's InfiniteSampler that can start at any stream position without drawing the
samples before it, and gives every sample a seed of its own for its augmentation."""
from typing import Iterator, Optional, Sized, Tuple, Union

import torch
from mmengine.dataset import InfiniteSampler
from mmengine.logging import print_log

from umgclip_mm.registry import DATA_SAMPLERS

# How many indices of a permutation are turned into Python ints at a time (a pass over UMG-41M is 41M of them).
_CHUNK = 1 << 16
_MASK64 = (1 << 64) - 1


def sample_seed(seed: int, position: int) -> int:
    """The augmentation seed (a uint32) of the sample at global stream ``position`` of a sampler seeded with
    ``seed``; it depends on nothing else. SplitMix64's finaliser of ``seed * golden ratio + position``: nearby
    positions and seeds give unrelated values, in about a microsecond (numpy's ``SeedSequence`` takes ten times
    longer, on the main process, for every sample)."""
    x = (seed * 0x9E3779B97F4A7C15 + position) & _MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK64
    return (x ^ (x >> 31)) & 0xFFFFFFFF


@DATA_SAMPLERS.register_module()
class ResumableInfiniteSampler(InfiniteSampler):
    """An endless shuffled stream of indices, split across ranks as mmengine's ``InfiniteSampler`` splits it, that a
    resumed run starts where the interrupted one stopped, at no cost.

    The global stream is one permutation of the data set after another. Pass ``e`` is shuffled with a generator
    seeded with ``seed + e``, as mmengine's ``DefaultSampler`` shuffles epoch ``e``: the first pass is exactly
    ``InfiniteSampler``'s, and any position is reached by computing one permutation, not all the samples before it.
    Rank ``r`` of ``w`` takes global positions ``r, r + w, r + 2w, ...`` (``InfiniteSampler``'s split).
    :meth:`set_start` makes the next iteration begin after the samples a rank has already drawn; the training loop
    ``FastResumeIterBasedTrainLoop`` calls it on resume instead of loading and discarding every earlier batch.

    With ``sample_seeds``, the sampler yields ``(index, seed)`` pairs instead of indices, where ``seed`` derives from
    the sampler's seed and the sample's global position only (:func:`sample_seed`). A data set that accepts them
    (``UMGDataset``; it declares ``accepts_sample_seeds = True``) seeds its random augmentation with it, so a
    sample's augmentation no longer depends on how many samples its data loader worker drew before: a resumed run,
    or a run with another number of workers, crops and captions every sample as the uninterrupted run did.

    A resumed run continues exactly when the seed is the same (the runner passes ``randomness.seed``, which
    ``configs/_base_/default_runtime.py`` fixes) and so are the data set, the batch size and the number of ranks.

    Args:
        dataset (Sized): The data set.
        shuffle (bool): Shuffle each pass (else 0, 1, 2, ... over and over). Defaults to True.
        seed (int, optional): Seed of the shuffling and of the per-sample seeds; ``None``: a random seed shared
            by all ranks (mmengine's ``sync_random_seed``). The runner passes ``randomness.seed``.
        sample_seeds (bool, optional): Yield ``(index, seed)`` pairs. ``None`` (default): when the data set
            declares ``accepts_sample_seeds = True``; a data set that does not (a mmengine dataset wrapper, a
            toolbox data set) gets plain indices, and its augmentation keeps drawing from its worker's generator
            (logged once).
    """

    def __init__(self,
                 dataset: Sized,
                 shuffle: bool = True,
                 seed: Optional[int] = None,
                 sample_seeds: Optional[bool] = None) -> None:
        super().__init__(dataset, shuffle=shuffle, seed=seed)
        accepts = bool(getattr(dataset, 'accepts_sample_seeds', False))
        if sample_seeds is None:
            sample_seeds = accepts
            if not accepts:
                print_log(f'ResumableInfiniteSampler: {type(dataset).__name__} does not take per-sample seeds (it '
                          'lacks accepts_sample_seeds = True), so it gets plain indices: the sampling order still '
                          'resumes exactly, its random augmentation depends on what its data loader worker drew '
                          'before', logger='current')
        self.sample_seeds = sample_seeds
        self.start = 0
        self._order_cache: Tuple[int, Optional[torch.Tensor]] = (-1, None)

    def set_start(self, num_drawn: int) -> None:
        """Make the next iteration begin after the first ``num_drawn`` samples of this rank (every rank's share of
        the global stream: the next global position is ``num_drawn * world_size + rank``).

        Args:
            num_drawn (int): Samples this rank has drawn so far (iterations x batch size, for a plain batch
                sampler).
        """
        if num_drawn < 0:
            raise ValueError(f'ResumableInfiniteSampler.set_start: num_drawn must be >= 0, got {num_drawn}')
        self.start = int(num_drawn)

    def pass_order(self, pass_idx: int) -> torch.Tensor:
        """The order of the data set in pass ``pass_idx`` of the global stream (int64, a permutation when
        shuffling). Only the last pass asked is kept."""
        if self._order_cache[0] != pass_idx:
            if self.shuffle:
                g = torch.Generator()
                g.manual_seed(self.seed + pass_idx)
                order = torch.randperm(self.size, generator=g)
            else:
                order = torch.arange(self.size)
            self._order_cache = (pass_idx, order)
        return self._order_cache[1]

    def _stream(self, position: int) -> Iterator[Tuple[int, int]]:
        """``(index, global position)`` of this rank's samples from global ``position`` on (``position`` is this
        rank's: ``position % world_size == rank``)."""
        while True:
            pass_idx, offset = divmod(position, self.size)
            mine = self.pass_order(pass_idx)[offset::self.world_size]
            for begin in range(0, len(mine), _CHUNK):
                for k, index in enumerate(mine[begin:begin + _CHUNK].tolist()):
                    yield index, position + (begin + k) * self.world_size
            position += len(mine) * self.world_size

    def __iter__(self) -> Iterator[Union[int, Tuple[int, int]]]:
        """This rank's samples from :meth:`set_start`'s position on: indices, or ``(index, seed)`` pairs."""
        stream = self._stream(self.start * self.world_size + self.rank)
        if self.sample_seeds:
            for index, position in stream:
                yield index, sample_seed(self.seed, position)
        else:
            for index, _ in stream:
                yield index
