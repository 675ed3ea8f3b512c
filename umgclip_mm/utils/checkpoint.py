"""Safe checkpoint loading under torch's ``weights_only`` unpickler.

torch >= 2.6 unpickles checkpoints with ``weights_only=True``: only tensors, plain containers and allow-listed
classes. mmengine stores a few more (its ``HistoryBuffer`` and numpy arrays / scalars in the message hub), so a
plain ``resume=True`` fails. We allow-list exactly those classes, never ``weights_only=False``: a checkpoint whose
pickle names anything else (``os.system``, an arbitrary class) is refused before any of it runs.
"""
import os.path as osp
import pickle
from typing import Any, List, Union

import numpy as np
import torch

__all__ = ['UnsafeCheckpointError', 'checkpoint_safe_globals', 'register_checkpoint_safe_globals',
           'load_checkpoint_file']


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
