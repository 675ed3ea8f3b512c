"""The user-facing API: one loader (:func:`init_model`), the inferencers (imported on first use: they pull in
mmdet's and mmseg's inferencers), and the typed errors of :mod:`umgclip_mm.apis.exceptions`."""
import importlib

from . import exceptions
from .exceptions import (CheckpointError, CheckpointMismatchError, InputError, MissingFileError, TaskError,
                         UMGCLIPError)
from .inference import init_model, load_model_weights, prepare_task_config

_INFERENCERS = ('OVDetInferencer', 'OVSegInferencer', 'UMGCLIPInferencer', 'ZeroShotInferencer')

__all__ = [
    'init_model', 'load_model_weights', 'prepare_task_config', 'exceptions', 'UMGCLIPError', 'MissingFileError',
    'CheckpointError', 'CheckpointMismatchError', 'TaskError', 'InputError', *_INFERENCERS
]


def __getattr__(name: str):
    if name in _INFERENCERS:
        return getattr(importlib.import_module('.inferencers', __name__), name)
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
