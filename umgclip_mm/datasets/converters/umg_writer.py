"""What every converter to the UMG JSON-lines format shares: the record builder, the shard writer, the count of
bad input and the progress bar (docs/data_format.md)."""
import json
import os
import os.path as osp
import sys
from collections import Counter
from typing import Iterable, Iterator, List, Optional, Sequence, TypeVar

T = TypeVar('T')


class ConversionError(ValueError):
    """One source record (or one of its items) that cannot be converted; the converter counts and names it and
    goes on."""


def texts(values, where: str = '') -> List[str]:
    """The non-empty stripped strings of ``values`` (a string or a list of them; None gives ``[]``), in order,
    without repeats.

    Raises:
        ConversionError: ``values`` is neither a string, a list of strings nor None (``where`` names the field).
    """
    if values is None:
        return []
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, (list, tuple)) or not all(isinstance(v, str) for v in values):
        raise ConversionError(f'{where}: expected a string or a list of strings, got {type(values).__name__}')
    out = []
    for v in values:
        v = ' '.join(v.split())
        if v and v not in out:
            out.append(v)
    return out


def xyxy_box(x1: float, y1: float, x2: float, y2: float, width: int, height: int, where: str = '') -> List[float]:
    """A box ``[x1, y1, x2, y2]`` in pixels clipped to the ``width x height`` image.

    Raises:
        ConversionError: a coordinate is not a finite number, or nothing of the box is left inside the image.
    """
    coords = [x1, y1, x2, y2]
    if not all(isinstance(c, (int, float)) and not isinstance(c, bool) and c == c and abs(c) != float('inf')
               for c in coords):
        raise ConversionError(f'{where}: box {coords} has a coordinate that is not a finite number')
    cx1, cy1 = min(max(float(x1), 0.0), width), min(max(float(y1), 0.0), height)
    cx2, cy2 = min(max(float(x2), 0.0), width), min(max(float(y2), 0.0), height)
    if cx2 <= cx1 or cy2 <= cy1:
        raise ConversionError(f'{where}: box {coords} has no area inside the {width}x{height} image')
    return [round(cx1, 2), round(cy1, 2), round(cx2, 2), round(cy2, 2)]


def xywh_box(box: Sequence[float], width: int, height: int, where: str = '') -> List[float]:
    """:func:`xyxy_box` of a COCO/Visual Genome ``[x, y, w, h]`` box."""
    if not isinstance(box, (list, tuple)) or len(box) != 4:
        raise ConversionError(f'{where}: a box is [x, y, w, h], got {box!r}')
    x, y, w, h = box
    if not all(isinstance(c, (int, float)) and not isinstance(c, bool) for c in box):
        raise ConversionError(f'{where}: box {list(box)} has a coordinate that is not a number')
    return xyxy_box(x, y, x + w, y + h, width, height, where)


def image_size(path: str) -> tuple:
    """``(height, width)`` of an image file, from its header only (PIL opens lazily).

    Raises:
        ConversionError: the file is missing or not an image.
    """
    from PIL import Image, UnidentifiedImageError
    try:
        with Image.open(path) as im:
            w, h = im.size
    except FileNotFoundError:
        raise ConversionError(f'image file {path} not found') from None
    except (UnidentifiedImageError, OSError) as err:
        raise ConversionError(f'image file {path} is not a readable image ({err})') from None
    return int(h), int(w)


def umg_record(image: str, height: int, width: int, captions: Iterable[str] = (), tags: Iterable[str] = (),
               regions: Iterable[dict] = (), masks: Iterable[dict] = ()) -> dict:
    """One UMG record (docs/data_format.md): items without a caption or a tag are left out, texts cleaned.

    Raises:
        ConversionError: no image path, or a size that is not a positive integer.
    """
    if not isinstance(image, str) or not image:
        raise ConversionError(f'no image file name ({image!r})')
    for name, value in (('height', height), ('width', width)):
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            raise ConversionError(f'image {image}: {name} must be a positive integer, got {value!r}')
    keep = [r for r in regions if r.get('captions') or r.get('tags')]
    keep_masks = [m for m in masks if m.get('captions') or m.get('tags')]
    return dict(image=image, height=height, width=width, captions=texts(list(captions), 'captions'),
                tags=texts(list(tags), 'tags'), regions=keep, masks=keep_masks)


class BadRecords:
    """Counts what a converter skips, by kind, and names each of the first ``first_n`` of a kind on stderr.

    Args:
        first_n (int): Skips of one kind printed individually; then only counted.
        stream: Where the lines go (default ``sys.stderr``).
    """

    def __init__(self, first_n: int = 20, stream=None):
        self.first_n = first_n
        self.stream = stream or sys.stderr
        self.counts = Counter()

    def __call__(self, kind: str, where: str, detail: str = '') -> None:
        """Count one skipped record or item of ``kind`` at ``where`` (file and record)."""
        self.counts[kind] += 1
        if self.counts[kind] <= self.first_n:
            print(f'skipped ({kind}) {where}' + (f': {detail}' if detail else ''), file=self.stream)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def summary(self) -> str:
        """``'3 skipped: 2 no box, 1 empty text'`` or ``'nothing skipped'``."""
        if not self.counts:
            return 'nothing skipped'
        return f'{self.total} skipped: ' + ', '.join(f'{n} {kind}' for kind, n in self.counts.most_common())


def progress(items: Iterable[T], total: Optional[int] = None, what: str = 'records') -> Iterator[T]:
    """``items`` with mmengine's progress bar on stderr (the existing converters'); with no ``total`` (and no
    ``len``) a line every 10000 items instead."""
    from mmengine.utils import ProgressBar
    if total is None and hasattr(items, '__len__'):
        total = len(items)
    if total:
        bar = ProgressBar(total, file=sys.stderr)
        for item in items:
            yield item
            bar.update()
        sys.stderr.write('\n')
        return
    n = 0
    for n, item in enumerate(items, 1):
        yield item
        if n % 10000 == 0:
            print(f'{n} {what}', file=sys.stderr, flush=True)


class UMGShardWriter:
    """Writes records to ``OUT-00000.jsonl``, ``OUT-00001.jsonl``, ... with ``shard_size`` records each, and
    counts what it wrote. Use as a context manager.

    Args:
        out (str): Output prefix (its folder is made).
        shard_size (int): Records per shard.
    """

    def __init__(self, out: str, shard_size: int = 100000):
        if shard_size <= 0:
            raise ValueError(f'shard_size must be positive, got {shard_size}')
        self.out = out
        self.shard_size = shard_size
        self.shards: List[str] = []
        self.counts = Counter()
        self._file = None

    def __enter__(self):
        os.makedirs(osp.dirname(osp.abspath(self.out)), exist_ok=True)
        return self

    def write(self, record: dict) -> None:
        """Append one record (a dict from :func:`umg_record`)."""
        if self.counts['images'] % self.shard_size == 0:
            self.close()
            self.shards.append(f'{self.out}-{len(self.shards):05d}.jsonl')
            self._file = open(self.shards[-1], 'w', encoding='utf-8')
        self._file.write(json.dumps(record, ensure_ascii=False) + '\n')
        self.counts['images'] += 1
        self.counts['captions'] += len(record.get('captions', []))
        self.counts['regions'] += len(record.get('regions', []))
        self.counts['masks'] += len(record.get('masks', []))

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def __exit__(self, *exc):
        self.close()

    def summary(self) -> str:
        """``'wrote 5 images in 2 shard(s) to OUT-*.jsonl: 7 regions, 3 masks, 10 captions'``."""
        c = self.counts
        return (f'wrote {c["images"]} images in {len(self.shards)} shard(s) to {self.out}-*.jsonl: '
                f'{c["regions"]} regions, {c["masks"]} masks, {c["captions"]} captions')


def load_json(path: str, option: str):
    """A JSON file named by the tool's ``option``.

    Raises:
        FileNotFoundError: naming the option and the path.
        ConversionError: the file is not JSON.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'{option}: {path!r} does not exist')
    with open(path, encoding='utf-8') as f:
        try:
            return json.load(f)
        except json.JSONDecodeError as err:
            raise ConversionError(f'{option}: {path} is not JSON ({err})') from None


def write_records(records: Iterable[dict], out: str, shard_size: int, bad: BadRecords,
                  show_progress: bool = True) -> UMGShardWriter:
    """Write ``records`` to ``OUT-*.jsonl`` shards, then print what was written and skipped. ``show_progress``: a
    progress bar over the records (pass False when the caller shows one over its input, which may hold more
    entries than records come out).

    Raises:
        ConversionError: nothing was left to write (every record was bad, or the input was empty).
    """
    with UMGShardWriter(out, shard_size) as writer:
        for record in progress(records) if show_progress else records:
            writer.write(record)
    print(writer.summary() + '; ' + bad.summary())
    if not writer.counts['images']:
        raise ConversionError(f'no image was converted ({bad.summary()}): wrong files, or a wrong format?')
    return writer


def run_tool(convert, args) -> int:
    """A converter tool's exit status: 0 after ``convert(args)``, 1 with the message of a conversion error, a
    missing file or an unreadable pickle (the pickle refused as unsafe included)."""
    import pickle
    try:
        convert(args)
    except (ConversionError, FileNotFoundError, pickle.UnpicklingError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    return 0


def expand_inputs(patterns: Sequence[str], what: str) -> List[str]:
    """The files matching each glob pattern, in order (sorted within a pattern).

    Raises:
        FileNotFoundError: a pattern matches nothing (``what`` names the kind of file).
    """
    import glob
    files = []
    for pattern in patterns:
        found = sorted(glob.glob(pattern))
        if not found:
            raise FileNotFoundError(f'no {what} matches {pattern!r}')
        files += found
    return files


def iter_json_records(files: Sequence[str], bad: BadRecords) -> Iterator[tuple]:
    """``(where, value)`` for each line of ``.jsonl`` files (``file.jsonl:<line>``) and each element of ``.json``
    files holding a list, or the one value of other ``.json`` files (``file.json[<n>]``). A line or file that is
    not JSON is counted in ``bad`` as ``'not JSON'`` and skipped."""
    for path in files:
        name = osp.basename(path)
        with open(path, encoding='utf-8') as f:
            if not path.endswith('.jsonl'):
                try:
                    data = json.load(f)
                except json.JSONDecodeError as err:
                    bad('not JSON', name, str(err))
                    continue
                for n, value in enumerate(data if isinstance(data, list) else [data]):
                    yield f'{name}[{n}]', value
                continue
            for n, line in enumerate(f, 1):
                if line.strip():
                    try:
                        yield f'{name}:{n}', json.loads(line)
                    except json.JSONDecodeError as err:
                        bad('not JSON', f'{name}:{n}', str(err))
