"""Tar shards in webdataset's layout: finding them (brace patterns, globs, remote URLs), counting their samples
(from a wids-style shard index, or the headers alone) and reading them sample by sample without decoding anything.
What :class:`~umgclip_mm.datasets.UMGWebDataset` streams from and ``tools/dataset_converters/umg2wds.py`` writes."""
import contextlib
import glob
import json
import os
import os.path as osp
import re
import tarfile
from typing import Dict, Iterator, List, Tuple

from .skip_report import SKIPS

#: Extensions of the image member of a sample (the first present is taken).
IMAGE_EXTS = ('jpg', 'jpeg', 'png', 'webp', 'bmp')
# webdataset's rule: a member's key is its path up to the first dot of its file name, the rest is its extension
_KEY_EXT = re.compile(r'^((?:.*/|)[^.]+)[.]([^/]*)$')


def is_remote(url: str) -> bool:
    """Whether ``url`` is read through ``webdataset.gopen`` (``scheme://...`` or ``pipe:...``), not a local path."""
    return '://' in url or url.startswith('pipe:')


def join_root(data_root: str, path: str) -> str:
    """``path`` under ``data_root`` unless it is absolute or remote (or there is no root)."""
    return path if osp.isabs(path) or is_remote(path) or not data_root else osp.join(data_root, path)


def expand_shards(urls: List[str]) -> List[str]:
    """The shards that ``urls`` name: webdataset's brace patterns (``{000..099}``, ``::`` lists, ``${WDS_VAR}``),
    then local globs; remote URLs are taken as they are.

    Raises:
        FileNotFoundError: a local shard or glob matches no file.
    """
    from webdataset.shardlists import expand_urls
    shards, missing = [], []
    for url in urls:
        for u in expand_urls(url):
            if is_remote(u):
                shards.append(u)
            elif any(c in u for c in '*?['):
                found = sorted(glob.glob(u))
                shards += found
                missing += [] if found else [u]
            elif osp.isfile(u):
                shards.append(u)
            else:
                missing.append(u)
    if missing or not shards:
        raise FileNotFoundError(f'WebDataset shards not found: {missing or urls}. Give .tar shards (globs and '
                                '{000..999} patterns allowed) or one folder of json+image pairs; '
                                'tools/dataset_converters/umg2wds.py writes shards from UMG JSON-lines.')
    return shards


def read_shard_index(path: str) -> Dict[str, int]:
    """``{shard path: sample count}`` from a wids-style shard index (``{"shardlist": [{"url", "nsamples"}]}``,
    ``url`` relative to the index's folder).

    Raises:
        ValueError: the file cannot be read or is not such an index.
    """
    try:
        with open(path, encoding='utf-8') as f:
            shardlist = json.load(f)['shardlist']
        folder = osp.dirname(path)
        return {join_root(folder, s['url']): int(s['nsamples']) for s in shardlist}
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise ValueError(f'shard_index {path}: {err!r}. It must be JSON with "shardlist": [{{"url": ..., '
                         '"nsamples": ...}}] (tools/dataset_converters/umg2wds.py writes one).') from err


def tar_samples(url: str, lazy: bool = True) -> Iterator[Tuple[str, Dict[str, object]]]:
    """The samples of one tar shard, in order: ``(key, {extension: data})`` for each run of members sharing a key
    (webdataset's grouping; ``__*__`` meta members are ignored).

    For a local uncompressed ``.tar`` with ``lazy`` only the 512-byte headers are read and each ``data`` is a
    ``(path, offset, size)`` reference (:func:`read_member` reads it); otherwise (remote URLs through
    ``webdataset.gopen``, compressed tars) the bytes. A shard that is truncated or not a tar is logged (reason
    ``'broken tar'``, with the shard and how many samples it gave) and ends early; its last, incomplete sample is
    dropped.
    """
    name = osp.basename(url)
    local = not is_remote(url)
    seekable = lazy and local and url.endswith('.tar')
    count, key, group = 0, None, {}
    try:
        with contextlib.ExitStack() as stack:
            if seekable:
                size = os.path.getsize(url)
                tar = stack.enter_context(tarfile.open(url, mode='r:'))
            else:
                if local:
                    stream = stack.enter_context(open(url, 'rb'))
                else:
                    from webdataset.gopen import gopen
                    stream = stack.enter_context(gopen(url, 'rb'))
                tar = stack.enter_context(tarfile.open(fileobj=stream, mode='r|*'))
            while True:
                member = tar.next()
                if member is None:
                    if seekable and size - tar.offset < 2 * tarfile.BLOCKSIZE:  # no end-of-archive blocks
                        raise tarfile.ReadError(f'truncated: the file ends at byte {size}, within or right after '
                                                f'the member header at byte {tar.offset}')
                    break
                tar.members = []  # headers are not kept: shards may hold 100k members
                if not member.isfile():
                    continue
                match = _KEY_EXT.match(member.name)
                if match is None or osp.basename(match.group(1)).startswith('__'):
                    continue
                if seekable and member.offset_data + member.size > size:
                    raise tarfile.ReadError(f'member {member.name} ends at byte {member.offset_data + member.size} '
                                            f'but the file has {size} bytes (truncated)')
                if match.group(1) != key:
                    if group:
                        count += 1
                        yield key, group
                    key, group = match.group(1), {}
                ext = match.group(2).lower()
                group[ext] = (url, member.offset_data, member.size) if seekable else tar.extractfile(member).read()
    except (tarfile.TarError, EOFError, OSError, ValueError) as err:
        SKIPS('broken tar', name, f'{err}; {count} sample(s) read, the rest of the shard is skipped')
        return
    if group:
        yield key, group


def count_samples(url: str) -> int:
    """Samples (runs of members sharing a key) in one local tar, from its headers only."""
    return sum(1 for _ in tar_samples(url, lazy=True))


def read_member(data) -> bytes:
    """The bytes of a member: ``data`` as :func:`tar_samples` gives it (bytes, or a ``(path, offset, size)``
    reference into a local tar), or a plain file path."""
    if isinstance(data, bytes):
        return data
    if isinstance(data, str):
        with open(data, 'rb') as f:
            return f.read()
    path, offset, size = data
    with open(path, 'rb') as f:
        f.seek(offset)
        out = f.read(size)
    if len(out) != size:
        raise ValueError(f'{osp.basename(path)}: member at byte {offset} has {len(out)} of its {size} bytes')
    return out
