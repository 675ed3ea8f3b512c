"""The model and optimizer state of an FSDP model, saved and loaded by parameter name.

Both layouts go through ``torch.distributed.checkpoint.state_dict`` (``get_model_state_dict`` /
``get_optimizer_state_dict`` and their ``set_*``), which key AdamW's moments by each parameter's name (its FQN in
the unwrapped model) instead of by position, so frozen parameters, several parameter groups, ``use_orig_params``
and shards of uneven size cannot shift a moment onto another parameter:

- **full**: one ordinary checkpoint file (gathered, written by rank 0), loadable at any world size and by every
  task config (:func:`full_model_state_dict`, :func:`full_optim_state_dict` and their ``load_*``);
- **sharded**: a directory in ``torch.distributed.checkpoint``'s format (DCP), every rank writing only its shard
  (:func:`save_sharded_checkpoint`, :func:`load_sharded_model`, :func:`load_sharded_optimizer`). DCP reshards on
  load, so it also resumes at another world size. :func:`consolidate_sharded_checkpoint` turns one into an
  ordinary weights-only file, one tensor at a time.
"""
import logging
import os
import os.path as osp
import shutil
from typing import Any, Dict, Iterator, List, Optional, Tuple

import torch
import torch.distributed as dist
import torch.distributed.checkpoint as dcp
from mmengine.logging import print_log
from torch import nn
from torch.distributed.checkpoint import FileSystemReader, FileSystemWriter
from torch.distributed.checkpoint.state_dict import (StateDictOptions, get_model_state_dict,
                                                     get_optimizer_state_dict, set_model_state_dict,
                                                     set_optimizer_state_dict)

from umgclip_mm.utils.checkpoint import (SHARDED_META_FILE, SHARDED_MODEL_PREFIX, load_checkpoint_file,
                                         read_sharded_metadata, sharded_checkpoint_damage)

__all__ = ['SafeFileSystemReader', 'full_model_state_dict', 'full_optim_state_dict', 'load_full_model_state_dict',
           'load_full_optim_state_dict', 'save_sharded_checkpoint', 'read_sharded_meta', 'load_sharded_model',
           'load_sharded_optimizer', 'read_sharded_tensors', 'consolidate_sharded_checkpoint']


class SafeFileSystemReader(FileSystemReader):
    """DCP's ``FileSystemReader`` for a sharded checkpoint directory, reading its index (``.metadata``) with
    :func:`~umgclip_mm.utils.checkpoint.read_sharded_metadata` (an allow-list unpickler: nothing the file names is
    run) instead of ``pickle.load``, once per reader.

    Args:
        path (str): The sharded checkpoint directory.
    """

    _metadata = None

    def read_metadata(self, *args, **kwargs) -> Any:
        from torch.distributed.checkpoint.metadata import StorageMeta
        if self._metadata is None:
            self._metadata = read_sharded_metadata(str(self.path))
            if getattr(self._metadata, 'storage_meta', None) is None:
                self._metadata.storage_meta = StorageMeta()
        self._metadata.storage_meta.load_id = self.load_id
        return self._metadata


def _on_cpu(model: nn.Module) -> bool:
    return not any(p.is_cuda for p in model.parameters())


def full_model_state_dict(model: nn.Module) -> dict:
    """The whole (unsharded) weights of an FSDP model, keyed by the unwrapped model's names, gathered to rank 0's
    host memory (other ranks get an empty dict). A collective call.

    Args:
        model (nn.Module): The FSDP-wrapped model.
    """
    return get_model_state_dict(model, options=StateDictOptions(full_state_dict=True, cpu_offload=True))


def full_optim_state_dict(model: nn.Module, optimizer: torch.optim.Optimizer) -> dict:
    """The whole optimizer state of an FSDP model keyed by parameter name: ``{'state': {name: {'step', 'exp_avg',
    'exp_avg_sq'}}, 'param_groups': [{'params': [names], 'lr': ...}]}``. A collective call.

    On GPUs it is offloaded to the host of rank 0 (other ranks get an empty dict). On CPU processes it is gathered
    on every rank instead: torch's gather with ``offload_to_cpu`` reuses one buffer for all states of a parameter,
    and ``.cpu()`` of a CPU tensor is the tensor itself, so every moment but the last (``exp_avg_sq``) comes back
    overwritten by it (torch 2.14; what broke the exact resume of the CPU tests).

    Args:
        model (nn.Module): The FSDP-wrapped model.
        optimizer (Optimizer): Its optimizer.
    """
    options = StateDictOptions(full_state_dict=True, cpu_offload=not _on_cpu(model))
    return get_optimizer_state_dict(model, optimizer, options=options)


def load_full_model_state_dict(model: nn.Module, state_dict: dict, strict: bool = True) -> Any:
    """Load whole weights (:func:`full_model_state_dict`'s, or any ordinary checkpoint's) into the FSDP model, every
    rank giving the same dict. A collective call.

    Args:
        model (nn.Module): The FSDP-wrapped model.
        state_dict (dict): Weights by name.
        strict (bool): Refuse missing or unexpected weights.

    Returns:
        ``load_state_dict``'s missing and unexpected keys.
    """
    return set_model_state_dict(model, state_dict, options=StateDictOptions(full_state_dict=True, strict=strict))


def load_full_optim_state_dict(model: nn.Module, optimizer: torch.optim.Optimizer, state_dict: dict) -> None:
    """Load a whole optimizer state keyed by parameter name (:func:`full_optim_state_dict`'s) into the optimizer
    of the FSDP model, every rank giving the same dict: each rank keeps its shard of every moment. A collective
    call.

    Args:
        model (nn.Module): The FSDP-wrapped model.
        optimizer (Optimizer): Its optimizer.
        state_dict (dict): ``{'state': {name: ...}, 'param_groups': [...]}``.

    Raises:
        ValueError: The state is keyed by position (a plain optimizer's ``state_dict()``).
    """
    names = list(state_dict.get('state') or {})
    if names and not isinstance(names[0], str):
        raise ValueError('this optimizer state is keyed by position (a plain optimizer\'s state_dict), not by '
                         'parameter name: resume from a checkpoint that FSDPStrategy wrote, or load the weights '
                         'only (load_from without --resume)')
    set_optimizer_state_dict(model, optimizer, state_dict, options=StateDictOptions(full_state_dict=True))


def _rank() -> int:
    return dist.get_rank() if dist.is_available() and dist.is_initialized() else 0


def _barrier() -> None:
    if dist.is_available() and dist.is_initialized():
        dist.barrier()


def save_sharded_checkpoint(path: str,
                            model: nn.Module,
                            optimizer: Optional[torch.optim.Optimizer] = None,
                            extra: Optional[dict] = None) -> None:
    """Save a sharded checkpoint: the directory ``path``, each rank writing its shard of the weights and of the
    optimizer state (DCP), rank 0 writing ``meta.pth`` (``extra`` and the optimizer's parameter groups, an
    ordinary weights-only file) first and DCP writing its index ``.metadata`` last, so a directory with both is
    whole. A collective call; a checkpoint already at ``path`` is replaced.

    Host memory: nothing is gathered; each tensor of a rank's shard is copied to the host as it is written.

    Args:
        path (str): The directory to write.
        model (nn.Module): The FSDP-wrapped model.
        optimizer (Optimizer, optional): Its optimizer.
        extra (dict, optional): What else to keep (``meta``, ``message_hub``, ``param_schedulers``, ...).
    """
    tensors: Dict[str, Any] = dict(state_dict=get_model_state_dict(model))
    meta = dict(extra or {})
    if optimizer is not None:
        optim_sd = get_optimizer_state_dict(model, optimizer)
        tensors['optimizer'] = dict(state=optim_sd['state'])
        meta['optimizer_param_groups'] = optim_sd['param_groups']
    if _rank() == 0:
        if osp.isdir(path):  # an older save here must not lend this one its index
            shutil.rmtree(path)
        elif osp.exists(path):
            os.remove(path)
        os.makedirs(path)
        torch.save(meta, osp.join(path, SHARDED_META_FILE))
    _barrier()
    dcp.save(tensors, storage_writer=FileSystemWriter(path), no_dist=not dist.is_initialized())


def _sharded_names(path: str, reader: SafeFileSystemReader) -> List[str]:
    return [key[len(SHARDED_MODEL_PREFIX):] for key in reader.read_metadata().state_dict_metadata
            if key.startswith(SHARDED_MODEL_PREFIX)]


def read_sharded_meta(path: str) -> dict:
    """``meta.pth`` of the sharded checkpoint ``path``: step, schedulers, message hub, the optimizer's parameter
    groups (a weights-only load)."""
    return load_checkpoint_file(osp.join(path, SHARDED_META_FILE))


def load_sharded_model(path: str, model: nn.Module, strict: bool = True) -> dict:
    """Load the weights of the sharded checkpoint ``path`` into the FSDP model (each rank reads what its shard
    needs, at any world size) and return ``meta.pth``'s content (:func:`read_sharded_meta`). A collective call.

    Args:
        path (str): A sharded checkpoint directory.
        model (nn.Module): The FSDP-wrapped model.
        strict (bool): Refuse weights the model has and the checkpoint lacks, or the reverse; otherwise they are
            logged and the model keeps its own.

    Raises:
        ValueError: The checkpoint is damaged (a shard missing or cut, no index).
        KeyError: ``strict`` and the names differ.
    """
    damage = sharded_checkpoint_damage(path)
    if damage is not None:
        raise ValueError(f'sharded checkpoint {path} {damage}: resume from an earlier whole one')
    reader = SafeFileSystemReader(path)
    model_sd = get_model_state_dict(model)
    saved = set(_sharded_names(path, reader))
    missing, unexpected = sorted(set(model_sd) - saved), sorted(saved - set(model_sd))
    if missing or unexpected:
        message = (f'sharded checkpoint {path} does not match the model: missing {missing[:10]} '
                   f'({len(missing)}), unexpected {unexpected[:10]} ({len(unexpected)})')
        if strict:
            raise KeyError(message)
        print_log(message, logger='current', level=logging.WARNING)
    dcp.load(dict(state_dict={k: v for k, v in model_sd.items() if k in saved}), storage_reader=reader,
             no_dist=not dist.is_initialized())
    set_model_state_dict(model, model_sd)
    return read_sharded_meta(path)


def load_sharded_optimizer(path: str, model: nn.Module, optimizer: torch.optim.Optimizer,
                           param_groups: List[dict]) -> None:
    """Load the optimizer state of the sharded checkpoint ``path`` (each rank reads its shard of every moment, by
    parameter name) with the parameter groups kept in its ``meta.pth``. A collective call.

    Args:
        path (str): A sharded checkpoint directory.
        model (nn.Module): The FSDP-wrapped model.
        optimizer (Optimizer): Its optimizer.
        param_groups (list[dict]): ``meta.pth``'s ``optimizer_param_groups``.
    """
    template = get_optimizer_state_dict(model, optimizer)  # this rank's shard of every state, to read into
    dcp.load(dict(optimizer=dict(state=template['state'])), storage_reader=SafeFileSystemReader(path),
             no_dist=not dist.is_initialized())
    set_optimizer_state_dict(model, optimizer, dict(state=template['state'], param_groups=param_groups))


def read_sharded_tensors(path: str, prefix: str = SHARDED_MODEL_PREFIX) -> Iterator[Tuple[str, torch.Tensor]]:
    """Yield ``(name, tensor)`` for every whole tensor of the sharded checkpoint ``path`` whose key starts with
    ``prefix`` (``'state_dict.'``: the weights; ``'optimizer.state.'``: AdamW's state as ``<param>.<state>``), the
    prefix removed, reading one tensor at a time from the shards; no process group needed.

    Args:
        path (str): A sharded checkpoint directory.
        prefix (str): Which entries.

    Raises:
        ValueError: ``path`` is damaged (:func:`~umgclip_mm.utils.checkpoint.sharded_checkpoint_damage`).
    """
    from torch.distributed.checkpoint.metadata import TensorStorageMetadata
    damage = sharded_checkpoint_damage(path)
    if damage is not None:
        raise ValueError(f'sharded checkpoint {path} {damage}: give a whole one (an earlier iter_* directory)')
    reader = SafeFileSystemReader(path)
    for key, item in reader.read_metadata().state_dict_metadata.items():
        if key.startswith(prefix) and isinstance(item, TensorStorageMetadata):
            tensor = torch.empty(item.size, dtype=item.properties.dtype)
            dcp.load({key: tensor}, storage_reader=reader, no_dist=True)
            yield key[len(prefix):], tensor


def consolidate_sharded_checkpoint(path: str, out: str) -> List[str]:
    """Write the weights of the sharded checkpoint ``path`` to ``out`` in the ordinary layout
    (``{'state_dict': ..., 'meta': ...}``, what ``tools/train.py`` writes with ``state_dict_cfg='full'`` and task
    configs load through ``init_cfg``/``load_from``), without the optimizer state.

    The tensors are read one at a time from the shards (:func:`read_sharded_tensors`), so beyond the output only
    one tensor is in memory; no process group is needed.

    Args:
        path (str): A sharded checkpoint directory (``tools/train.py`` with ``state_dict_cfg='sharded'``).
        out (str): The file to write.

    Returns:
        list[str]: The weights' names, in the order written.

    Raises:
        ValueError: ``path`` is damaged or holds no weights.
    """
    weights = dict(read_sharded_tensors(path))
    if not weights:
        raise ValueError(f'sharded checkpoint {path} holds no weights (no {SHARDED_MODEL_PREFIX}* entries)')
    meta = load_checkpoint_file(osp.join(path, SHARDED_META_FILE)).get('meta', {})
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    torch.save(dict(state_dict=weights, meta=dict(meta, consolidated_from=osp.abspath(path))), out)
    return list(weights)
