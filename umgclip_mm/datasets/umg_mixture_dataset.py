"""UMGMixtureDataset: several UMG sources (Visual Genome, RefCOCO, COCO, ... converted) mixed with sampling weights,
each sample's source fixed by its position in the sampler's stream, so a resumed run draws what the
uninterrupted one drew."""
import logging
from collections import Counter
from typing import List, Optional, Sequence, Tuple, Union

from mmengine.logging import print_log
from torch.utils.data import Dataset

from umgclip_mm.registry import DATASETS
from .samplers import sample_seed


def largest_remainder(total: int, weights: Sequence[float]) -> List[int]:
    """``total`` split in proportion to ``weights`` into integers that add up to ``total`` (Hamilton's method:
    floors, then one more to the largest remainders, ties to the first)."""
    s = float(sum(weights))
    exact = [total * w / s for w in weights]
    shares = [int(e) for e in exact]
    order = sorted(range(len(weights)), key=lambda k: (-(exact[k] - shares[k]), k))
    for k in order[:total - sum(shares)]:
        shares[k] += 1
    return shares


class _NamedSource:
    """A source's ``source(index)`` (``shard:line``) prefixed with the source's name in the mixture, so every skip a
    source logs (invalid record, missing image, dropped item) names it. Picklable for data loader workers."""

    def __init__(self, name: str, dataset):
        self.name = name
        self.dataset = dataset

    def __call__(self, index: int) -> str:
        return f'{self.name}/{type(self.dataset).source(self.dataset, index)}'


@DATASETS.register_module()
class UMGMixtureDataset(Dataset):
    """A mixture of data sets (``UMGDataset`` sources, each a converted public data set) drawn with sampling
    weights, for the stock runner and sampler.

    One pass of the mixture has ``length`` positions (default: the sources' records together). They are split
    among the sources in proportion to ``weights`` (:func:`largest_remainder`), each source a contiguous block:
    position ``i`` belongs to the source whose block holds it. The sampler (``ResumableInfiniteSampler``: a
    shuffled permutation per pass) therefore draws every source in its proportion, exactly, each pass, and a
    sample's source follows from its stream position alone. Within its block, a source whose share is at least its
    size is repeated whole (offset ``j`` is its record ``j mod size``); a larger source is sampled, the record
    drawn from the sample's seed, so successive passes see different records.

    Exact resume is kept: with ``(index, seed)`` pairs from ``ResumableInfiniteSampler`` (this data set declares
    ``accepts_sample_seeds``), the record chosen and the seed handed to the source (which seeds its augmentation
    with it) depend on the position only. Plain indices (another sampler) draw a sampled source's record from
    ``seed`` and the index instead: the same records every pass.

    Each source's skips (invalid records, unreadable images, dropped items) are logged as ``<name>/<shard>:<line>``,
    the packed sample's metainfo gets ``dataset=<name>``, and every ``log_interval`` samples a process logs how
    many it drew from each source.

    Args:
        datasets (list[dict | Dataset]): The sources (configs are built with ``DATASETS``).
        weights (list[float], optional): Sampling weight of each source (any positive scale). Default: in
            proportion to their sizes (a plain concatenation).
        names (list[str], optional): Names in logs and metainfo. Default ``source0``, ``source1``, ...
        length (int, optional): Positions per pass. Default: the sources' sizes added up.
        seed (int): Seed of the record draws for plain indices.
        log_interval (int): Log the per-source counts every this many samples drawn by a process (0: never).
    """

    accepts_sample_seeds = True

    def __init__(self, datasets: Sequence[Union[dict, Dataset]], weights: Optional[Sequence[float]] = None,
                 names: Optional[Sequence[str]] = None, length: Optional[int] = None, seed: int = 0,
                 log_interval: int = 1000):
        if not datasets:
            raise ValueError('UMGMixtureDataset needs at least one data set in datasets=')
        self.datasets = [DATASETS.build(d) if isinstance(d, dict) else d for d in datasets]
        self.names = list(names) if names is not None else [f'source{k}' for k in range(len(self.datasets))]
        if len(self.names) != len(self.datasets) or len(set(self.names)) != len(self.names):
            raise ValueError(f'UMGMixtureDataset: names={self.names} must be distinct, one per data set '
                             f'({len(self.datasets)})')
        sizes = [len(d) for d in self.datasets]
        for name, size in zip(self.names, sizes):
            if size == 0:
                raise ValueError(f'UMGMixtureDataset: source {name!r} is empty')
        weights = list(weights) if weights is not None else [float(s) for s in sizes]
        if len(weights) != len(self.datasets) or not all(
                isinstance(w, (int, float)) and not isinstance(w, bool) and w > 0 for w in weights):
            raise ValueError(f'UMGMixtureDataset: weights={weights} must be positive numbers, one per data set '
                             f'({len(self.datasets)})')
        self.weights = [float(w) for w in weights]
        self.length = int(length) if length is not None else sum(sizes)
        self.shares = largest_remainder(self.length, self.weights)
        for name, share, w in zip(self.names, self.shares, self.weights):
            if share == 0:
                raise ValueError(f'UMGMixtureDataset: source {name!r} (weight {w:g}) gets no position of the '
                                 f'{self.length} per pass; raise length= or its weight')
        self.starts = [sum(self.shares[:k]) for k in range(len(self.shares) + 1)]
        self.seed = seed
        self.log_interval = log_interval
        self.drawn = Counter()
        for name, d in zip(self.names, self.datasets):
            if callable(getattr(type(d), 'source', None)):
                d.source = _NamedSource(name, d)
        self.metainfo = dict(sources=list(self.names), weights=list(self.weights), shares=list(self.shares))
        plan = ', '.join(
            f'{n}: {s} of {size} records ({100 * s / self.length:.1f}%, '
            f'{"each record x" + format(s / size, ".2g") if s >= size else "sampled"})'
            for n, s, size in zip(self.names, self.shares, sizes))
        print_log(f'UMGMixtureDataset: {self.length} samples per pass from {len(self.datasets)} sources: {plan}',
                  logger='current')

    def __len__(self) -> int:
        return self.length

    def locate(self, index: int) -> Tuple[int, int]:
        """``(source k, offset within its block)`` of position ``index`` of a pass."""
        if not 0 <= index < self.length:
            raise IndexError(f'UMGMixtureDataset index {index} out of range (length {self.length})')
        k = next(k for k in range(len(self.shares)) if index < self.starts[k + 1])
        return k, index - self.starts[k]

    def source_of_record(self, name: str, record: int) -> str:
        """Where record ``record`` of source ``name`` is, as its skips are logged (``name/shard:line``)."""
        dataset = self.datasets[self.names.index(name)]
        return dataset.source(record) if callable(getattr(dataset, 'source', None)) else f'{name}/{record}'

    def record_of(self, index: int, seed: Optional[int] = None) -> Tuple[str, int]:
        """``(source name, record index in that source)`` that position ``index`` draws (with the sample's
        ``seed``, as ``ResumableInfiniteSampler`` gives it)."""
        k, j = self.locate(index)
        size = len(self.datasets[k])
        if self.shares[k] >= size:
            return self.names[k], j % size
        draw = sample_seed(self.seed if seed is None else seed, index if seed is None else k + 1)
        return self.names[k], draw % size

    def __getitem__(self, index: Union[int, Tuple[int, int]]):
        seed = None
        if isinstance(index, tuple):
            index, seed = index
        name, record = self.record_of(index, seed)
        dataset = self.datasets[self.names.index(name)]
        self.drawn[name] += 1
        n = sum(self.drawn.values())
        if self.log_interval and n % self.log_interval == 0:
            counts = ', '.join(f'{s} {self.drawn[s]} ({100 * self.drawn[s] / n:.1f}%)' for s in self.names)
            print_log(f'UMGMixtureDataset: {n} samples drawn in this process: {counts}', logger='current',
                      level=logging.INFO)
        if seed is not None and getattr(dataset, 'accepts_sample_seeds', False):
            out = dataset[(record, seed)]
        else:
            out = dataset[record]
        sample = out.get('data_samples') if isinstance(out, dict) else None
        if sample is not None and hasattr(sample, 'set_metainfo'):
            sample.set_metainfo(dict(dataset=name))
        return out
