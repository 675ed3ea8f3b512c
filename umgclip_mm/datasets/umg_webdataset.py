"""UMGWebDataset: UMG-41M's own layout, one JSON beside each image, streamed from tar shards or folders."""
import glob
import itertools
import json
import multiprocessing
import os
import os.path as osp
import random
from multiprocessing.context import get_spawning_popen
from typing import Callable, Iterator, Optional, Sequence, Tuple, Union

import numpy as np
from mmengine.dataset import Compose
from mmengine.dist import get_dist_info
from mmengine.logging import print_log
from torch.utils.data import IterableDataset, get_worker_info

from umgclip_mm.registry import DATASETS
from .loader_workers import resume_plan, worker_quotas
from .samplers import sample_seed
from .skip_report import SKIPS
from .tar_shards import (IMAGE_EXTS, count_samples, expand_shards, is_remote, join_root, read_member,
                         read_shard_index, tar_samples)
from .umg41m_record import umg41m_record


@DATASETS.register_module()
class UMGWebDataset(IterableDataset):
    """Stream (JSON, image) pairs: WebDataset ``.tar`` shards or folders of files where ``x/y/abc.json`` describes
    ``x/y/abc.jpg``. Each pair becomes a record through ``record_fn`` and runs through the pipeline (which starts
    with ``LoadUMGImage``; the image bytes are decoded in memory). A pair whose JSON is not valid, or that the
    pipeline drops, is skipped and logged with its shard and key; so is the rest of a truncated or broken shard.
    Use ``sampler=None`` in the dataloader config.

    **Epoch length.** ``len(dataset)`` is this rank's number of samples per pass, ``num_samples // world_size``
    (rounded down to whole ``batch_size`` batches when given), the same on every rank. ``num_samples`` is given, or
    read from ``shard_index`` (written by ``tools/dataset_converters/umg2wds.py``; exact), or counted from the
    local tars' headers without reading any image (exact for up to ``count_shards`` shards; beyond, that many
    evenly spaced shards are counted and the total extrapolated, an estimate), or the folder's JSON files. A
    "sample" is a run of tar members sharing a key, valid or not. Remote shards need ``num_samples`` or
    ``shard_index``.

    **Streams.** Training reads forever: the shards (or files) are shuffled once with ``seed`` and dealt to the
    ``world_size x num_workers`` data loader workers, each going round its shards again and again (a new shard
    order each round, samples shuffled in a ``shuffle_buffer`` within the round). With fewer shards than workers,
    workers share a shard and take every k-th sample of it. A pass gives each worker a fixed share
    (:func:`worker_quotas`) of ``len(dataset)``, so every rank yields the same number of batches per pass whatever
    its shards hold; a worker whose shards run dry, or whose samples are skipped, goes round again. mmengine's
    ``IterBasedTrainLoop`` starts the next pass when one ends, and each worker continues its stream where it
    stopped if the process persists (``persistent_workers=True``, or ``num_workers=0``); non-persistent workers
    restart every pass from the beginning of their stream. With ``test_mode`` every worker reads its shards once,
    in order, and ``len`` is ``num_samples // world_size``.

    **Resume.** :meth:`skip` positions the streams after what a rank has already consumed, without decoding any
    image; the batches that follow are those of the uninterrupted run, augmented alike.

    Args:
        urls (str | list[str], optional): Tar shards (brace patterns ``{000..099}`` and globs allowed, relative to
            ``data_root``) or one folder. Default: the shards listed in ``shard_index``.
        data_root (str): Prefix of relative ``urls`` and ``shard_index``.
        pipeline (list[dict]): Transforms.
        record_fn (callable, optional): Per-image JSON -> record; default :func:`umg41m_record`.
        shuffle_buffer (int): Samples shuffled in a buffer while streaming (0: off).
        test_mode (bool): One pass over the data, no shuffling, no repetition.
        num_samples (int, optional): Samples per pass over all ranks (the epoch length).
        shard_index (str, optional): JSON ``{"shardlist": [{"url": ..., "nsamples": ...}]}`` (webdataset's wids
            index; ``url`` relative to the index's folder) giving each shard's sample count.
        batch_size (int, optional): The dataloader's batch size: each worker's share of a pass is then whole
            batches, so ``len(dataloader)`` is exact (otherwise each worker may end a pass on a partial batch).
        seed (int): Seed of the shard deal, the shard order of each round, the shuffle buffer and each sample's
            augmentation (numpy's generator is seeded per sample from ``seed``, the worker's stream and the
            sample's position in it), so that :meth:`skip` replays the streams exactly; the same on every rank.
        count_shards (int): At most this many tars are counted when neither ``num_samples`` nor ``shard_index``
            is given.
    """

    max_dropped_in_a_row = 10000  # a stream that only skips is an error, not noise

    def __init__(self, urls: Union[str, Sequence[str], None] = None, data_root: str = '',
                 pipeline: Sequence[dict] = (), record_fn: Optional[Callable[[dict], dict]] = None,
                 shuffle_buffer: int = 1000, test_mode: bool = False, num_samples: Optional[int] = None,
                 shard_index: Optional[str] = None, batch_size: Optional[int] = None, seed: int = 0,
                 count_shards: int = 64):
        self.pipeline = Compose(list(pipeline))
        self.record_fn = record_fn or umg41m_record
        self.shuffle_buffer = 0 if test_mode else shuffle_buffer
        self.test_mode = test_mode
        self.batch_size = batch_size
        self.seed = seed
        index = read_shard_index(join_root(data_root, shard_index)) if shard_index else None
        if urls is None:
            if index is None:
                raise ValueError('UMGWebDataset needs urls= (tar shards or a folder) or shard_index=')
            urls = list(index)
        urls = [urls] if isinstance(urls, str) else list(urls)
        urls = [join_root(data_root, u) for u in urls]
        self.folder = len(urls) == 1 and osp.isdir(urls[0])
        if self.folder:
            self.units = sorted(glob.glob(osp.join(urls[0], '**', '*.json'), recursive=True))
            self.root = urls[0]
            if not self.units:
                raise FileNotFoundError(f'UMGWebDataset: no .json files under {urls[0]}')
        else:
            self.units = expand_shards(urls)
        self.metainfo = dict(layout='folder' if self.folder else 'tar')
        self.num_samples, how = self._epoch_length(num_samples, index, count_shards)
        self._check_length()
        print_log(f'UMGWebDataset: {len(self.units)} {"files" if self.folder else "shards"}, {self.num_samples} '
                  f'samples per pass ({how})', logger='current')
        # skip()'s request (version, num_batches, batch_size) in shared memory: data loader workers forked before
        # it (persistent ones) see it at their next pass
        self._shared = multiprocessing.RawArray('q', 3)
        self._resumed = 0  # the last request whose first pass this process completed
        self._streams = {}  # per worker: its sample stream, or where to start it (kept across passes)

    # ---------------------------------------------------------------------------------------------- set-up
    def _epoch_length(self, num_samples, index, count_shards) -> Tuple[int, str]:
        if num_samples is not None:
            return int(num_samples), 'given as num_samples'
        if self.folder:
            return len(self.units), 'JSON files in the folder'
        if index is not None:
            norm = {osp.normpath(k): v for k, v in index.items()}
            missing = [u for u in self.units if osp.normpath(u) not in norm]
            if missing:
                raise ValueError(f'shard_index lists no count for {missing[:3]} ({len(missing)} shard(s)); '
                                 're-write it with tools/dataset_converters/umg2wds.py, or give num_samples=')
            return sum(norm[osp.normpath(u)] for u in self.units), 'from shard_index'
        remote = [u for u in self.units if is_remote(u)]
        if remote:
            raise ValueError(f'UMGWebDataset cannot count the samples of remote shards ({remote[0]}, ...): give '
                             'num_samples= (the epoch length) or shard_index=')
        if len(self.units) <= count_shards:
            return sum(count_samples(u) for u in self.units), f'counted in the headers of all {len(self.units)} tars'
        count_shards = max(1, count_shards)
        picked = [self.units[round(i * (len(self.units) - 1) / max(1, count_shards - 1))] for i in range(count_shards)]
        mean = sum(count_samples(u) for u in picked) / count_shards
        return int(round(mean * len(self.units))), (
            f'ESTIMATED from the headers of {count_shards} of {len(self.units)} tars, {mean:.1f} samples each; give '
            'num_samples= or shard_index= for an exact count')

    def _check_length(self):
        _, world = get_dist_info()
        if not self.test_mode and len(self) == 0:
            raise ValueError(f'UMGWebDataset: {self.num_samples} samples per pass over {world} rank(s)'
                             + (f' in batches of {self.batch_size}' if self.batch_size else '')
                             + ' leave no sample per rank; give a larger num_samples or more data')

    def __len__(self) -> int:
        _, world = get_dist_info()
        per_rank = self.num_samples // world
        if self.batch_size and not self.test_mode:
            per_rank -= per_rank % self.batch_size
        return per_rank

    def __getstate__(self):
        state = dict(self.__dict__)
        state['_streams'] = {}  # generators stay in their process
        if get_spawning_popen() is None:  # a copy, not a worker being started: no shared memory
            state['_shared'] = list(self._shared)
        return state

    def __setstate__(self, state: dict):
        if isinstance(state['_shared'], list):
            state['_shared'] = multiprocessing.RawArray('q', state['_shared'])
        self.__dict__.update(state)

    # --------------------------------------------------------------------------------------------- streams
    def _unit_samples(self, unit: str) -> Iterator[Tuple[str, str, object, object]]:
        """``(key, shard, json, image)`` of one shard or one folder file; json/image are read lazily."""
        if self.folder:
            stem = unit[:-len('.json')]
            image = next((f'{stem}.{e}' for e in IMAGE_EXTS if osp.isfile(f'{stem}.{e}')), None)
            yield osp.relpath(stem, self.root), osp.basename(osp.normpath(self.root)), unit, image
            return
        for key, group in tar_samples(unit):
            img = next((group[e] for e in IMAGE_EXTS if e in group), None)
            yield key, osp.basename(unit), group.get('json'), img

    def _raw(self, slot: int, num_slots: int) -> Iterator[tuple]:
        """The raw samples of one worker (``slot`` of ``num_slots`` over all ranks), round after round: its
        shards in a new order each round, samples shuffled in the buffer within the round. Nothing is decoded."""
        units = list(self.units)
        if not self.test_mode:
            random.Random(f'{self.seed}-deal').shuffle(units)
        if len(units) >= num_slots:
            mine, every, offset = units[slot::num_slots], 1, 0
        else:  # workers share a shard and take every k-th sample of it
            mine, every, offset = [units[slot % len(units)]], len(range(slot % len(units), num_slots, len(units))), \
                slot // len(units)
        rng = random.Random(f'{self.seed}-buffer-{slot}')
        for rnd in itertools.count():
            order = list(mine)
            if not self.test_mode:
                random.Random(f'{self.seed}-round-{slot}-{rnd}').shuffle(order)
            found = yield from self._shuffled((s for u in order for i, s in enumerate(self._unit_samples(u))
                                               if i % every == offset), rng)
            if not found:
                raise RuntimeError(
                    f'UMGWebDataset: data loader worker {slot} of {num_slots} (ranks x workers) found no sample in '
                    f'its share of the {len(units)} {"files" if self.folder else "shards"} ('
                    + (f'one in {every} samples of {mine[0]}' if every > 1 else f'{len(mine)} of them') +
                    '): fewer samples than workers, or unreadable shards (see the log). Write more, smaller shards '
                    '(umg2wds.py --shard-size) or use fewer num_workers.')
            if self.test_mode:
                return

    def _shuffled(self, samples: Iterator[tuple], rng: random.Random):
        """Yield ``samples`` through the shuffle buffer; return how many there were."""
        buf, n = [], 0
        for s in samples:
            n += 1
            if len(buf) < self.shuffle_buffer:
                buf.append(s)
                continue
            if not self.shuffle_buffer:
                yield s
                continue
            i = rng.randrange(len(buf))
            buf[i], s = s, buf[i]
            yield s
        rng.shuffle(buf)
        yield from buf
        return n

    def _decoded(self, raw: Iterator[tuple], seeds: Optional[Tuple[int, int]] = None) -> Iterator[dict]:
        """Read, map and run each raw sample through the pipeline; skipped ones are logged and dropped. With
        ``seeds = (stream_seed, first_position)`` numpy's global generator, which the transforms draw from, is
        seeded for each sample from its stream and position alone (a resumed stream augments as the original)."""
        dropped = 0
        in_worker = get_worker_info() is not None
        for position, (key, shard, meta, img) in enumerate(raw, seeds[1] if seeds else 0):
            source = f'{shard}:{key}'
            if dropped >= self.max_dropped_in_a_row:
                raise RuntimeError(f'UMGWebDataset: the last {dropped} samples (up to {source}) were all skipped; '
                                   'see the log for why (wrong record_fn or pipeline, or broken data)')
            dropped += 1
            try:
                if meta is None:
                    raise ValueError('no .json beside the image')
                if img is None:
                    raise ValueError('no image beside the .json')
                rec = self.record_fn(json.loads(read_member(meta)))
                img = read_member(img)
            except (ValueError, TypeError, AttributeError, OSError) as err:  # JSONDecodeError is a ValueError
                SKIPS('invalid record', source, str(err))
                continue
            rec.update(img_bytes=img, img_path=key, source=source)
            state = None if in_worker or not seeds else np.random.get_state()  # the main process's is restored
            if seeds:
                np.random.seed(sample_seed(seeds[0], position))
            try:
                results = self.pipeline(rec)
            finally:
                if state is not None:
                    np.random.set_state(state)
            if results is not None:
                dropped = 0
                yield results

    def _stream(self, slot: int, num_slots: int, start: int = 0) -> Iterator[dict]:
        """One worker's samples from position ``start`` (raw samples, skipped without decoding)."""
        raw = self._raw(slot, num_slots)
        for _ in range(start):
            next(raw)
        return self._decoded(raw, (sample_seed(self.seed, slot), start))

    # ------------------------------------------------------------------------------------------------ resume
    def skip(self, num_samples: int, batch_size: Optional[int] = None) -> None:
        """Start after the first ``num_samples`` samples (``num_samples // batch_size`` batches) that this rank's
        dataloader gave: for an iteration-based loop resuming at iteration ``k``, ``skip(k * batch_size)``.

        Each worker's stream is advanced by the samples that worker contributed to those batches (the dataloader
        takes batches from its workers in turn, :func:`loader_order`), reading tar headers only, no image; the pass
        in progress is finished with the same batches, in the same order, before the next pass starts, so pass
        boundaries (and DDP's equal batch counts) stay as they were. Call it on the data set of the main process,
        then make a new iterator of the dataloader (``iter(dataloader)``): new workers copy the request, persistent
        workers started earlier read it from shared memory when the iterator is reset; what they prefetched is
        dropped. ``skip(0)`` cancels a request.

        The resumed batches are those of the uninterrupted run, augmented alike (each sample's random draws are
        seeded from its stream and position), when no sample in the skipped part was dropped (an invalid record or
        an image the pipeline rejects): the count is in samples the streams yielded, the replay in raw samples, so
        each such drop puts the resumed stream one sample behind (it repeats one). A worker that had not begun its
        first pass when ``skip`` was called may apply it to that pass instead (a runner's workers begin long before).

        Args:
            num_samples (int): Samples this rank has consumed, a multiple of ``batch_size``.
            batch_size (int, optional): The dataloader's batch size. Defaults to the data set's ``batch_size``.
        """
        batch_size = batch_size or self.batch_size
        if not batch_size:
            raise ValueError('UMGWebDataset.skip needs the dataloader\'s batch size: skip(num_samples, batch_size) '
                             'or UMGWebDataset(batch_size=...)')
        if num_samples < 0 or num_samples % batch_size:
            raise ValueError(f'UMGWebDataset.skip(num_samples={num_samples}, batch_size={batch_size}): num_samples '
                             'must be whole batches (iterations x batch size)')
        if self.test_mode:
            raise ValueError('UMGWebDataset.skip: a test_mode data set reads its data once and cannot resume')
        self._shared[:] = [self._shared[0] + 1, num_samples // batch_size, batch_size]

    # ------------------------------------------------------------------------------------------------- iterate
    def __iter__(self) -> Iterator[dict]:
        """One pass of this worker (or of this process when the loader has no workers); see the class notes."""
        rank, world = get_dist_info()
        info = get_worker_info()
        wid, nw = (info.id, info.num_workers) if info else (0, 1)
        if self.test_mode:
            return self._decoded(self._raw(wid * world + rank, world * nw))
        # the skip() request is read now, when the loader asks for the pass, not when the pass's first sample is
        # drawn: a pass asked for before a request keeps to the streams as they were
        version, num_batches, batch_size = self._shared[:]
        if version != self._resumed:  # a skip() request whose first pass has not been completed: apply it afresh
            self._streams = {}
        return self._pass(rank, world, wid, nw, version, (num_batches, batch_size) if num_batches else None)

    def _pass(self, rank: int, world: int, wid: int, nw: int, version: int, request: Optional[Tuple[int, int]]):
        slots = world * nw

        def slot(w):  # a rank's workers together hold every world-th shard, whatever num_workers is
            return w * world + rank

        quotas = worker_quotas(len(self), nw, self.batch_size)
        key = (os.getpid(), rank, world, wid, nw)
        state = self._streams.get(key)
        if state is None and request:  # the first pass after skip(): the rest of the pass in progress
            rotation, full, in_pass = resume_plan(quotas, *request)
            role = (wid + rotation) % nw
            remaining = quotas[role] - in_pass[role]
            if rotation:  # the rest of the pass comes from another worker's stream; its own starts with the next
                self._streams[key] = (full + 1) * quotas[wid]
                yield from itertools.islice(
                    self._stream(slot(role), slots, full * quotas[role] + in_pass[role]), remaining)
            else:
                state = self._streams[key] = self._stream(slot(wid), slots, full * quotas[wid] + in_pass[wid])
                yield from itertools.islice(state, remaining)
            self._resumed = version  # the next passes go on from here
            return
        self._resumed = version
        if not isinstance(state, Iterator):  # a start position (or none yet)
            state = self._streams[key] = self._stream(slot(wid), slots, state or 0)
        yield from itertools.islice(state, quotas[wid])
