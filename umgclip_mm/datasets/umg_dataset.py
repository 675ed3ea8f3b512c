"""UMGDataset: multi-granularity pretraining records from sharded JSON-lines, read lazily."""
import glob
import json
import os.path as osp
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np
from mmengine.dataset import Compose
from torch.utils.data import Dataset, get_worker_info

from umgclip_mm.registry import DATASETS
from .skip_report import SKIPS


def index_lines(path: str, chunk_size: int = 1 << 24) -> np.ndarray:
    """Byte offsets (int64) of the non-blank lines of a text file, found without parsing any line."""
    starts = []
    pos = 0
    at_line_start = True
    with open(path, 'rb') as f:
        while True:
            chunk = f.read(chunk_size)
            if not chunk:
                break
            buf = np.frombuffer(chunk, np.uint8)
            local = np.flatnonzero(buf == 10) + 1
            if at_line_start:
                local = np.concatenate([[0], local])
            local = local[local < len(buf)]
            keep = (buf[local] != 10) & (buf[local] != 13)  # blank lines ('\n' or '\r\n') are not records
            starts.append(local[keep].astype(np.int64) + pos)
            at_line_start = bool(buf[-1] == 10)
            pos += len(buf)
    return np.concatenate(starts) if starts else np.zeros(0, np.int64)


def parse_record(line: bytes) -> dict:
    """Parse and validate one JSON line. Raises ValueError saying what is wrong with it."""
    try:
        rec = json.loads(line)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ValueError(f'not JSON ({err})') from None
    if not isinstance(rec, dict):
        raise ValueError(f'a record must be a JSON object, got {type(rec).__name__}')
    if not isinstance(rec.get('image'), str) or not rec['image']:
        raise ValueError('field "image" (a relative path) is missing or empty')
    for key in ('height', 'width'):
        if not isinstance(rec.get(key), int) or isinstance(rec.get(key), bool) or rec[key] <= 0:
            raise ValueError(f'field "{key}" must be a positive integer, got {rec.get(key)!r}')
    for key in ('regions', 'masks'):
        if key in rec and not isinstance(rec[key], list):
            raise ValueError(f'field "{key}" must be a list, got {type(rec[key]).__name__}')
    for key in ('captions', 'tags'):
        if key in rec and not isinstance(rec[key], list):
            raise ValueError(f'field "{key}" must be a list of strings, got {type(rec[key]).__name__}')
    return rec


@DATASETS.register_module()
class UMGDataset(Dataset):
    """Images with image-, region- and pixel-level captions and tags, from JSON-lines shards (docs/data_format.md).

    Only the byte offset of every line is kept in memory (one int64 per image plus one per shard); a record is read
    and parsed when its index is asked for. A line that is not a valid record, or a sample the pipeline drops (an
    unreadable image), is skipped, logged with its shard and line number, and another index is drawn. If more than
    ``max_bad_fraction`` of the lines read are invalid (after ``min_lines_checked`` lines), the data set raises:
    that is a wrong file, not noise.

    An index may also be an ``(index, seed)`` pair, as ``ResumableInfiniteSampler`` yields them: numpy's global
    generator, which the transforms and the choice of a replacement draw from, is then seeded with ``seed`` for
    this sample (and given back its state afterwards when the data loader has no workers), so the sample's
    augmentation depends on its seed alone, not on what was drawn before it.

    Args:
        ann_files (str | list[str]): Shard files or glob patterns, relative to ``data_root`` unless absolute.
        data_root (str): Root of image paths and relative shard paths.
        pipeline (list[dict]): Transforms (``TRANSFORMS`` configs).
        max_bad_fraction (float): Tolerated fraction of invalid lines.
        min_lines_checked (int): Lines read before the fraction is enforced.
        max_refetch (int): Consecutive skipped samples before giving up with an error.
        test_mode (bool): Draw replacements deterministically (the next index) instead of at random.
    """

    accepts_sample_seeds = True  # ResumableInfiniteSampler yields (index, seed) pairs to data sets that say so

    def __init__(self,
                 ann_files: Union[str, Sequence[str]],
                 data_root: str = '',
                 pipeline: Sequence[dict] = (),
                 max_bad_fraction: float = 0.01,
                 min_lines_checked: int = 100,
                 max_refetch: int = 100,
                 test_mode: bool = False):
        self.data_root = data_root
        self.shards = self._resolve(ann_files)
        counts = []
        offsets = []
        for shard in self.shards:
            off = index_lines(shard)
            offsets.append(off)
            counts.append(len(off))
        self.offsets = np.concatenate(offsets) if offsets else np.zeros(0, np.int64)
        self.shard_starts = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        if len(self.offsets) == 0:
            raise ValueError(f'no records in {self.shards}')
        self.pipeline = Compose(list(pipeline))
        self.max_bad_fraction = max_bad_fraction
        self.min_lines_checked = min_lines_checked
        self.max_refetch = max_refetch
        self.test_mode = test_mode
        self.lines_read = 0
        self.bad_lines = 0
        self.metainfo = dict(num_shards=len(self.shards))

    def _resolve(self, ann_files) -> List[str]:
        patterns = [ann_files] if isinstance(ann_files, str) else list(ann_files)
        shards = []
        for pattern in patterns:
            full = pattern if osp.isabs(pattern) else osp.join(self.data_root, pattern)
            matched = sorted(glob.glob(full))
            if not matched:
                raise FileNotFoundError(f'annotation shard not found: {full!r} (ann_files entry {pattern!r}, '
                                        f'data_root {self.data_root!r}). Generate the toy data set with '
                                        'tools/dataset_converters/make_synthetic.py DIR, or write your data in '
                                        'the UMG JSON-lines format (docs/data_format.md).')
            shards.extend(matched)
        return shards

    def __len__(self) -> int:
        return len(self.offsets)

    def locate(self, index: int):
        """``(shard path, 1-based line number)`` of record ``index`` (blank lines are not counted)."""
        shard = int(np.searchsorted(self.shard_starts, index, side='right') - 1)
        return self.shards[shard], int(index - self.shard_starts[shard]) + 1

    def source(self, index: int) -> str:
        shard, line = self.locate(index)
        return f'{osp.basename(shard)}:{line}'

    def get_record(self, index: int) -> Optional[dict]:
        """The parsed record ``index`` with ``img_path`` and ``source`` added, or None (logged) if invalid."""
        shard, _ = self.locate(index)
        with open(shard, 'rb') as f:
            f.seek(int(self.offsets[index]))
            line = f.readline()
        self.lines_read += 1
        try:
            rec = parse_record(line)
        except ValueError as err:
            self.bad_lines += 1
            SKIPS('invalid record', self.source(index), str(err))
            self._check_bad_fraction(index, err)
            return None
        rec['img_path'] = osp.join(self.data_root, rec['image'])
        rec['source'] = self.source(index)
        rec['sample_idx'] = index
        return rec

    def _check_bad_fraction(self, index, err):
        if self.lines_read >= self.min_lines_checked and self.bad_lines > self.max_bad_fraction * self.lines_read:
            shard, line = self.locate(index)
            raise ValueError(
                f'{self.bad_lines} of the {self.lines_read} records read so far are invalid (more than '
                f'max_bad_fraction={self.max_bad_fraction}); the last at {shard}:{line}: {err}. Is this a UMG '
                'JSON-lines file (docs/data_format.md)? Fix the shard or raise max_bad_fraction.')

    def __getitem__(self, index: Union[int, Tuple[int, int]]) -> dict:
        if not isinstance(index, tuple):
            return self._get(index)
        index, seed = index
        in_worker = get_worker_info() is not None
        state = None if in_worker else np.random.get_state()  # a worker's generator serves its samples alone
        np.random.seed(seed)
        try:
            return self._get(index)
        finally:
            if state is not None:
                np.random.set_state(state)

    def _get(self, index: int) -> dict:
        for _ in range(self.max_refetch + 1):
            rec = self.get_record(index)
            if rec is not None:
                results = self.pipeline(rec)
                if results is not None:
                    return results
            index = (index + 1) % len(self) if self.test_mode else int(np.random.randint(len(self)))
        raise RuntimeError(f'{self.max_refetch + 1} consecutive samples were skipped (last: {self.source(index)}); '
                           'see the warnings above for why')
