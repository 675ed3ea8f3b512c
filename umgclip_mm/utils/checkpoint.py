"""Safe checkpoint loading under torch's ``weights_only`` unpickler, and sharded (DCP) checkpoints.

torch >= 2.6 unpickles checkpoints with ``weights_only=True``: only tensors, plain containers and allow-listed
classes. mmengine stores a few more (its ``HistoryBuffer`` and numpy arrays / scalars in the message hub), so a
plain ``resume=True`` fails. We allow-list exactly those classes, never ``weights_only=False``: a checkpoint whose
pickle names anything else (``os.system``, an arbitrary class) is refused before any of it runs.

A sharded checkpoint (``FSDPStrategy(state_dict_cfg='sharded')``) is a directory in the format of
``torch.distributed.checkpoint`` (DCP): every rank writes its shard of the weights and of AdamW's moments
(``__<rank>_0.distcp``), the coordinator writes the index (``.metadata``) last, and rank 0 writes ``meta.pth``
(step, schedulers, message hub, the optimizer's parameter groups: an ordinary weights-only file) first. DCP reads
``.metadata`` with a plain ``pickle.load``; :func:`read_sharded_metadata` reads it with an unpickler that knows
DCP's metadata classes and nothing else (``umgclip_mm.engine.sharded_checkpoint`` saves and loads them).
"""
import logging
import os
import os.path as osp
import pickle
import re
import zipfile
from typing import Any, List, Optional, Union

import numpy as np
import torch

__all__ = ['UnsafeCheckpointError', 'checkpoint_safe_globals', 'register_checkpoint_safe_globals',
           'load_checkpoint_file', 'check_checkpoint_format', 'checkpoint_damage', 'resume_checkpoint',
           'SHARDED_META_FILE', 'SHARDED_MODEL_PREFIX', 'is_sharded_checkpoint', 'read_sharded_metadata',
           'sharded_checkpoint_damage']

# rank 0's ordinary file inside a sharded checkpoint directory: everything but the sharded tensors
SHARDED_META_FILE = 'meta.pth'
_DCP_METADATA_FILE = '.metadata'
# where a sharded checkpoint keeps the model's tensors (DCP flattens nested dicts with dots)
SHARDED_MODEL_PREFIX = 'state_dict.'



class UnsafeCheckpointError(pickle.UnpicklingError):
    """A checkpoint file names classes or functions outside the allow-list, so it was not loaded."""


def _history_buffer_getattr(obj: Any, name: str) -> Any:
    """Stand-in for ``builtins.getattr`` while unpickling: resolves only HistoryBuffer's statistics methods.

    mmengine's ``HistoryBuffer.__getstate__`` pickles its statistics functions as ``getattr(HistoryBuffer, 'min')``.
    A real ``getattr`` in the allow-list would let a pickle walk from any allowed object to ``os.system``; this one
    answers those four lookups and refuses every other.
    """
    from mmengine.logging import HistoryBuffer
    if obj is HistoryBuffer and name in _HISTORY_BUFFER_STATISTICS:
        return getattr(HistoryBuffer, name)
    raise pickle.UnpicklingError(f'refused getattr({obj!r}, {name!r}) while loading a checkpoint: only '
                                 f'HistoryBuffer.{{{",".join(_HISTORY_BUFFER_STATISTICS)}}} are allowed')


_HISTORY_BUFFER_STATISTICS = ('min', 'max', 'current', 'mean')


def checkpoint_safe_globals() -> List[Any]:
    """The globals mmengine checkpoints contain beyond tensors and containers: data classes, and a getattr that
    only resolves HistoryBuffer's statistics methods. Nothing that can run arbitrary code."""
    from mmengine.logging import HistoryBuffer
    safe = [HistoryBuffer, np.ndarray, np.dtype, np.core.multiarray._reconstruct, np.core.multiarray.scalar,
            (_history_buffer_getattr, 'builtins.getattr')]
    # numpy >= 1.25 pickles each dtype by its own class (np.dtypes.Float64DType, ...).
    safe += [type(np.dtype(t)) for t in (np.float16, np.float32, np.float64, np.int8, np.int16, np.int32,
                                         np.int64, np.uint8, np.bool_)]
    return safe


def register_checkpoint_safe_globals() -> None:
    """Add :func:`checkpoint_safe_globals` to torch's ``weights_only`` allow-list (idempotent)."""
    torch.serialization.add_safe_globals(checkpoint_safe_globals())


def check_checkpoint_format(path: str,
                            fix: str = 'give the .pth file that tools/train.py or a converter in '
                            'tools/model_converters wrote') -> None:
    """Refuse a file that is no PyTorch checkpoint at all (an image, a text file) by its first bytes, before any
    loading: ``torch.save`` writes a zip archive (``PK``) or, in its legacy format, a pickle (protocol opcode
    ``0x80``). An empty file passes: the loader calls it truncated.

    Args:
        path (str): An existing local file.
        fix (str): What to do instead, ending the message.

    Raises:
        ValueError: The file starts like neither.
    """
    with open(path, 'rb') as f:
        head = f.read(4)
    if head and not head.startswith(b'PK') and head[:1] != b'\x80':
        raise ValueError(f'checkpoint {path} is not a PyTorch checkpoint (it starts with {head!r}, not a zip archive '
                         f'or a pickle as torch.save writes): {fix}')


def checkpoint_damage(path: str) -> Optional[str]:
    """Why the checkpoint file ``path`` cannot be loaded, or None if it looks whole; cheap: no tensor is read.

    ``torch.save`` writes a zip archive whose directory comes last, so a save or copy cut short (a killed process,
    a full disk, a crash before the page cache reached the disk, which leaves 0 bytes) has none: the archive's
    directory is read (zipfile, a few kB), ``data.pkl`` must be listed in it and every member must end inside the
    file. A file in torch's legacy (pickle) format cannot be checked without loading it and is taken as whole.

    A directory is a sharded checkpoint, checked by :func:`sharded_checkpoint_damage`.

    Args:
        path (str): A checkpoint file, or a sharded checkpoint's directory.

    Returns:
        str | None: What is wrong (``'is empty (0 bytes)'``, ``'is truncated (...)'``, ...), or None.
    """
    if osp.isdir(path):
        return sharded_checkpoint_damage(path)
    if not osp.isfile(path):
        return 'does not exist'
    size = osp.getsize(path)
    if size == 0:
        return 'is empty (0 bytes)'
    try:
        check_checkpoint_format(path)
    except ValueError:
        return 'is not a PyTorch checkpoint (it starts like neither a zip archive nor a pickle)'
    with open(path, 'rb') as f:
        if f.read(2) != b'PK':
            return None  # legacy pickle format
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as err:
        return f'is truncated ({size} bytes, without the zip directory that ends a whole one: {err})'
    if not any(m.filename == 'data.pkl' or m.filename.endswith('/data.pkl') for m in members):
        return f'is incomplete ({size} bytes; its zip archive holds no data.pkl)'
    if any(m.header_offset + m.compress_size > size for m in members):
        return f'is truncated ({size} bytes; a member of its zip archive runs past the end of the file)'
    return None


def resume_checkpoint(work_dir: str) -> Optional[str]:
    """The checkpoint an automatic resume (``tools/train.py --resume`` without a path) continues from.

    mmengine resumes from the file that ``WORK_DIR/last_checkpoint`` names. When that file is empty, truncated or
    gone (:func:`checkpoint_damage`), this returns the newest whole checkpoint before it instead (the same name
    with a smaller number: ``iter_2.pth`` before ``iter_4.pth``), with a warning that names both, so a run cut
    while saving continues instead of failing. Sharded checkpoints (directories) are treated alike: one whose
    index is missing (the save did not finish) or whose shards are missing or cut is skipped.

    Args:
        work_dir (str): The run's work dir.

    Returns:
        str | None: The checkpoint to resume from; None when the work dir has no ``last_checkpoint`` (the run
        starts afresh, as mmengine's does).

    Raises:
        FileNotFoundError: The latest checkpoint is damaged and no earlier one is whole.
    """
    from mmengine.logging import print_log
    from mmengine.runner import find_latest_checkpoint
    if not osp.isfile(osp.join(work_dir, 'last_checkpoint')):
        return None
    latest = find_latest_checkpoint(work_dir)
    damage = checkpoint_damage(latest)
    if damage is None:
        return latest
    folder, name = osp.split(latest)
    numbered = re.fullmatch(r'(.*?)(\d+)(\D*)', name)
    earlier = []
    if numbered and osp.isdir(folder or '.'):
        prefix, number, suffix = numbered.group(1), int(numbered.group(2)), numbered.group(3)
        for other in os.listdir(folder or '.'):
            match = re.fullmatch(re.escape(prefix) + r'(\d+)' + re.escape(suffix), other)
            if match and int(match.group(1)) < number:
                earlier.append((int(match.group(1)), osp.join(folder, other)))
    for _, candidate in sorted(earlier, reverse=True):
        if checkpoint_damage(candidate) is None:
            print_log(f'--resume: the latest checkpoint {latest} {damage}, as an interrupted save or copy leaves it; '
                      f'resuming from the previous one, {candidate}, instead (the iterations after it are trained '
                      'again)',
                      logger='current', level=logging.WARNING)
            return candidate
    tried = ', '.join(osp.basename(c) for _, c in sorted(earlier, reverse=True)) or 'none'
    raise FileNotFoundError(f'--resume: the latest checkpoint {latest} (named by {work_dir}/last_checkpoint) '
                            f'{damage}, and no earlier checkpoint beside it is whole (found: {tried}). Start afresh '
                            'without --resume (or delete last_checkpoint), or give a checkpoint with --resume PATH.')


def load_checkpoint_file(path: str, map_location: Union[str, torch.device] = 'cpu') -> Any:
    """``torch.load`` a local checkpoint with ``weights_only=True``, with errors that say what to do.

    Args:
        path (str): Local file.
        map_location (str | torch.device): Where tensors go.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: the file is empty or truncated, or not a PyTorch checkpoint at all (an image, a text file).
        UnsafeCheckpointError: the pickle names something outside the allow-list (nothing of it was run).
    """
    path = osp.expanduser(path)
    if not osp.isfile(path):
        raise FileNotFoundError(f'checkpoint not found: {path!r}')
    register_checkpoint_safe_globals()
    size = osp.getsize(path)
    check_checkpoint_format(path)
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except (EOFError, RuntimeError) as err:  # torch's words for an empty file / a cut zip archive
        if size and not isinstance(err, EOFError) and 'zip' not in str(err) and 'central directory' not in str(err):
            raise
        raise ValueError(f'checkpoint {path!r} is empty or truncated ({size} bytes): an interrupted save or copy. '
                         f'Delete it and use the previous checkpoint (or copy the file again). torch said: '
                         f'{str(err).splitlines()[0] if str(err) else type(err).__name__}') from err
    except pickle.UnpicklingError as err:
        raise UnsafeCheckpointError(
            f'refused to load {path!r}: its pickle names objects outside the weights-only allow-list, so loading '
            f'it could run code. Nothing of it was executed. If the file is a trusted model from another tool, '
            f'export its state_dict to .safetensors (or convert it with tools/model_converters/clip2umgclip.py). '
            f'torch said: {str(err).splitlines()[0] if str(err) else err!r}') from err


# ------------------------------------------------------------------------------------------ sharded checkpoints
def is_sharded_checkpoint(path: str) -> bool:
    """Whether ``path`` is a sharded (DCP) checkpoint directory: one holding ``.metadata`` or ``meta.pth``."""
    return osp.isdir(path) and any(osp.isfile(osp.join(path, name)) for name in (_DCP_METADATA_FILE,
                                                                                 SHARDED_META_FILE))


class _DCPMetadataUnpickler(pickle.Unpickler):
    """Resolves only what DCP's index holds: its metadata data classes and enum, the per-entry storage info,
    ``torch.Size``, torch's dtypes, layouts (by name, through ``torch.serialization._get_layout``) and memory
    formats, and the checkpoint's path (``pathlib``). Anything else is refused before it runs."""

    _MODULES = ('torch.distributed.checkpoint.metadata', 'torch.distributed.checkpoint.filesystem')

    def find_class(self, module: str, name: str) -> Any:
        import dataclasses
        import enum
        import importlib
        if module in self._MODULES:
            obj = getattr(importlib.import_module(module), name, None)
            if isinstance(obj, type) and (dataclasses.is_dataclass(obj) or issubclass(obj, enum.Enum)):
                return obj
        elif module == 'torch' and name == 'Size':
            return torch.Size
        elif module == 'torch.serialization' and name == '_get_layout':  # a layout by its name, nothing else
            return torch.serialization._get_layout
        elif module == 'torch' and isinstance(getattr(torch, name, None),
                                              (torch.dtype, torch.layout, torch.memory_format)):
            return getattr(torch, name)
        elif module == 'pathlib' and name in ('PosixPath', 'PurePosixPath', 'WindowsPath', 'PureWindowsPath'):
            import pathlib  # the checkpoint's path, as the saving process gave it
            return getattr(pathlib, name)
        elif module == 'collections' and name == 'OrderedDict':
            from collections import OrderedDict
            return OrderedDict
        raise UnsafeCheckpointError(f'refused {module}.{name} while reading a sharded checkpoint\'s index: only '
                                    'torch.distributed.checkpoint\'s metadata classes are allowed')


def read_sharded_metadata(path: str) -> Any:
    """The index (``torch.distributed.checkpoint.metadata.Metadata``) of the sharded checkpoint ``path``.

    Args:
        path (str): A sharded checkpoint directory.

    Raises:
        FileNotFoundError: It has no ``.metadata`` (not a DCP checkpoint, or its save did not finish).
        ValueError: ``.metadata`` is cut short.
        UnsafeCheckpointError: ``.metadata`` names something other than DCP's metadata classes.
    """
    index = osp.join(path, _DCP_METADATA_FILE)
    if not osp.isfile(index):
        raise FileNotFoundError(f'{path} is no complete sharded checkpoint: it has no {_DCP_METADATA_FILE} (DCP '
                                'writes it last, after every rank wrote its shard)')
    with open(index, 'rb') as f:
        try:
            return _DCPMetadataUnpickler(f).load()
        except (EOFError, pickle.UnpicklingError) as err:
            if isinstance(err, UnsafeCheckpointError):
                raise
            raise ValueError(f'{index} is cut short ({osp.getsize(index)} bytes): {err}') from err


def sharded_checkpoint_damage(path: str) -> Optional[str]:
    """Why the sharded checkpoint directory ``path`` cannot be resumed from, or None if it is whole; reads the
    index and the files' sizes, no tensor.

    A save cut short leaves no ``.metadata`` (DCP writes it last) or no ``meta.pth``; a copy cut short leaves a
    shard missing or shorter than the index says.

    Args:
        path (str): A sharded checkpoint directory.

    Returns:
        str | None: What is wrong, or None.
    """
    if not osp.isdir(path):
        return 'does not exist'
    meta_damage = checkpoint_damage(osp.join(path, SHARDED_META_FILE))
    if meta_damage is not None:
        return f'is incomplete (its {SHARDED_META_FILE} {meta_damage})'
    try:
        metadata = read_sharded_metadata(path)
    except FileNotFoundError:
        return f'is incomplete (no {_DCP_METADATA_FILE}: the save did not finish)'
    except (ValueError, UnsafeCheckpointError) as err:
        return f'is damaged ({err})'
    needed = {}
    for info in (metadata.storage_data or {}).values():
        needed[info.relative_path] = max(needed.get(info.relative_path, 0), info.offset + info.length)
    for name, size in sorted(needed.items()):
        shard = osp.join(path, name)
        if not osp.isfile(shard):
            return f'is incomplete (its shard {name} is missing)'
        if osp.getsize(shard) < size:
            return f'is truncated (its shard {name} holds {osp.getsize(shard)} of {size} bytes)'
    return None
