"""FSDPStrategy: mmengine's FSDP strategy with exact resume (state saved and loaded by parameter name), sharded
(DCP) checkpoints, and CPU processes."""
import os.path as osp
import re
import time
from typing import Callable, List, NamedTuple, Optional, Tuple, Union

import mmengine
import torch
import torch.distributed as dist
from mmengine._strategy import FSDPStrategy as MMEngineFSDPStrategy
from mmengine._strategy.distributed import DDPStrategy
from mmengine.utils import get_git_hash

from umgclip_mm.engine.fsdp_checkpoint import (full_model_state_dict, full_optim_state_dict,
                                               load_full_model_state_dict, load_full_optim_state_dict,
                                               load_sharded_model, load_sharded_optimizer, read_sharded_meta,
                                               save_sharded_checkpoint)
from umgclip_mm.registry import STRATEGIES
from umgclip_mm.utils.checkpoint import is_sharded_checkpoint


def _world_size() -> int:
    return dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1


class ShardedOptimizerState(NamedTuple):
    """What :meth:`FSDPStrategy.load_checkpoint` hands mmengine's ``resume`` as a sharded checkpoint's
    ``'optimizer'``: the moments stay on disk until :meth:`FSDPStrategy.load_optim_state_dict` reads each rank's
    shard of them."""
    path: str
    param_groups: list
    wrapper_state: dict


@STRATEGIES.register_module()
class FSDPStrategy(MMEngineFSDPStrategy):
    """mmengine's ``FSDPStrategy`` (``FlexibleRunner``: model sharded by ``FullyShardedDataParallel``) that resumes
    exactly and writes sharded checkpoints; a config names ``type='umgclip_mm.FSDPStrategy'``.

    - **Exact resume.** The weights and the optimizer state are saved and loaded by parameter name through
      ``torch.distributed.checkpoint.state_dict`` (:mod:`umgclip_mm.engine.fsdp_checkpoint`), with the AMP loss
      scaler's state. mmengine's own calls passed ``FSDP.optim_state_dict_to_load`` torch 1.13's argument order
      (every resume failed under torch 2), and on CPU processes torch's offloading gather handed every parameter
      its ``exp_avg_sq`` as ``exp_avg`` (:func:`~umgclip_mm.engine.fsdp_checkpoint.full_optim_state_dict`).
    - **Checkpoints.** ``state_dict_cfg='full'``: one ordinary file gathered on rank 0 (weights in the layout of the
      unwrapped model, the optimizer state by name): task configs and the tools read it, any world size resumes
      from it, but rank 0 holds the whole model and both AdamW moments in host memory (56 GB at E/14).
      ``'sharded'``: a directory in ``torch.distributed.checkpoint``'s format, every rank writing its own shard and
      nothing gathered; any world size resumes from it (DCP reshards), and
      ``tools/model_converters/consolidate_checkpoint.py`` turns it into the ordinary weights-only file. Either
      kind is loaded whatever ``state_dict_cfg`` says (a directory is read as sharded).
    - **CPU processes.** mmengine passes ``device_id=LOCAL_RANK``, which FSDP reads as a CUDA device; without CUDA
      the wrapper gets the CPU device instead (gloo; what the tests run). With CUDA nothing changes.

    Args:
        model_wrapper (dict, optional): ``MMFullyShardedDataParallel`` arguments: ``auto_wrap_policy`` (ours:
            ``dict(type='umgclip_mm.transformer_block_wrap_policy')``), ``sharding_strategy`` (``'FULL_SHARD'``,
            ``'SHARD_GRAD_OP'``, ``'HYBRID_SHARD'``), ``mixed_precision``, ``cpu_offload``, ``backward_prefetch``,
            ``use_orig_params`` (True by default, mmengine's).
        state_dict_cfg (str): ``'full'`` or ``'sharded'`` (above). mmengine's ``'local'`` (flat per-rank shards
            that only the same world size and wrapping can read) is refused: ``'sharded'`` does what it did.
        allow_world_size_change (bool): Resume from a checkpoint that another number of processes saved. The
            weights and AdamW state load exactly either way (by name), but the run does not continue the saved one:
            the global batch changes and each rank's data stream restarts at iteration x batch x the new world
            size. False (default) refuses such a resume with a message; True continues with a warning.
        skip_init_weights (bool): Build on the meta device and skip ``init_weights`` (weights come from a
            checkpoint).
        activation_checkpointing (dict, optional): mmengine's; our towers' ``with_cp=True`` does the same per
            block.
        **kwargs: ``work_dir``, ``env_kwargs``, ``log_kwargs`` and the rest of mmengine's strategy arguments.
    """

    def __init__(self, *, state_dict_cfg: str = 'full', allow_world_size_change: bool = False, **kwargs):
        if state_dict_cfg not in ('full', 'sharded'):
            raise ValueError(f"umgclip_mm.FSDPStrategy: state_dict_cfg={state_dict_cfg!r} is not supported; use "
                             "'full' (one ordinary file, gathered on rank 0) or 'sharded' (a directory, each rank "
                             "writing its shard; resumes at any world size)")
        super().__init__(state_dict_cfg='full', **kwargs)
        self.sharded_checkpoints = state_dict_cfg == 'sharded'
        self.allow_world_size_change = allow_world_size_change

    def _wrap_model(self, model: torch.nn.Module):
        if not dist.is_initialized():
            self._join_one_process_group()
        if not torch.cuda.is_available():
            self.model_wrapper = dict(self.model_wrapper or dict(type='MMFullyShardedDataParallel'),
                                      device_id=torch.device('cpu'))
        return super()._wrap_model(model)

    @staticmethod
    def _join_one_process_group() -> None:
        """``tools/train.py`` without a launcher: FSDP needs a process group, so this process starts one of its own
        (world size 1: nothing sharded, the same run and checkpoints as under ``dist_train.sh CONFIG 1``), where
        torch would stop with "Default process group has not been initialized"."""
        import socket

        from mmengine.logging import print_log
        with socket.socket() as sock:
            sock.bind(('127.0.0.1', 0))
            port = sock.getsockname()[1]
        import os
        for var, value in (('LOCAL_RANK', '0'), ('RANK', '0'), ('WORLD_SIZE', '1')):  # what torchrun would set
            os.environ.setdefault(var, value)
        backend = 'nccl' if torch.cuda.is_available() else 'gloo'
        dist.init_process_group(backend, init_method=f'tcp://127.0.0.1:{port}', rank=0, world_size=1)
        print_log(f'umgclip_mm.FSDPStrategy: no distributed launch, so one process group of one process ({backend}) '
                  'was started: nothing is sharded; for several GPUs run tools/dist_train.sh CONFIG NUM_GPUS',
                  logger='current')

    # ------------------------------------------------------------------------------------------------ saving
    def model_state_dict(self) -> dict:
        """The whole weights, keyed as in the unwrapped model, on rank 0 (a collective call)."""
        return full_model_state_dict(self.model)

    def optim_state_dict(self) -> dict:
        """The whole optimizer state keyed by parameter name, and the loss scaler's (a collective call)."""
        state = full_optim_state_dict(self.model, self.optim_wrapper.optimizer)
        state.update(self._wrapper_state())
        return state

    def _wrapper_state(self) -> dict:
        """What the optimizer wrapper keeps beside the optimizer: the AMP loss scaler, mmengine's base settings."""
        state = {}
        if getattr(self.optim_wrapper, 'loss_scaler', None) is not None:
            state['loss_scaler'] = self.optim_wrapper.loss_scaler.state_dict()
        if getattr(self.optim_wrapper, 'base_param_settings', None) is not None:
            state['base_param_settings'] = self.optim_wrapper.base_param_settings
        return state

    def _load_wrapper_state(self, state: dict) -> None:
        if 'loss_scaler' in state and getattr(self.optim_wrapper, 'loss_scaler', None) is not None:
            self.optim_wrapper.loss_scaler.load_state_dict(state['loss_scaler'])
        if 'base_param_settings' in state:
            self.optim_wrapper.base_param_settings = state['base_param_settings']

    def save_checkpoint(self,
                        filename: str,
                        *,
                        save_optimizer: bool = True,
                        save_param_scheduler: bool = True,
                        extra_ckpt: Optional[dict] = None,
                        callback: Optional[Callable] = None) -> None:
        """Save a checkpoint: the file ``filename`` written by rank 0 (``'full'``) or the directory ``filename``
        with every rank's shard (``'sharded'``). A collective call; the arguments are mmengine's."""
        extra = dict(extra_ckpt or {})
        extra['meta'] = dict(extra.get('meta') or {}, world_size=_world_size())
        if not self.sharded_checkpoints:
            return super().save_checkpoint(filename, save_optimizer=save_optimizer,
                                           save_param_scheduler=save_param_scheduler, extra_ckpt=extra,
                                           callback=callback)
        extra['meta'].update(seed=self.seed, time=time.strftime('%Y%m%d_%H%M%S', time.localtime()),
                             mmengine=mmengine.__version__ + get_git_hash())
        if save_param_scheduler and hasattr(self, 'param_schedulers'):
            extra['param_schedulers'] = self.scheduler_state_dict()
        optimizer = None
        if save_optimizer and hasattr(self, 'optim_wrapper'):
            optimizer = self.optim_wrapper.optimizer
            extra['optim_wrapper'] = self._wrapper_state()
        if callback is not None:
            callback(extra)
        save_sharded_checkpoint(filename, self.model, optimizer, extra)

    # ----------------------------------------------------------------------------------------------- loading
    def resume(self, filename: str, *, callback: Optional[Callable] = None, **kwargs) -> dict:
        """mmengine's resume, refusing a checkpoint of another world size unless ``allow_world_size_change``."""

        def check_then(checkpoint: dict) -> None:
            self.check_world_size(checkpoint, filename)
            if callback is not None:
                callback(checkpoint)

        return super().resume(filename, callback=check_then, **kwargs)

    def check_world_size(self, checkpoint: dict, filename: str) -> None:
        """Refuse (or, with ``allow_world_size_change``, warn about) resuming from a checkpoint that another number
        of processes saved; checkpoints that do not say are taken as they are.

        Raises:
            RuntimeError: The world sizes differ and ``allow_world_size_change`` is False.
        """
        saved, current = (checkpoint.get('meta') or {}).get('world_size'), _world_size()
        if saved is None or saved == current:
            return
        message = (f'{filename} was saved by {saved} processes and this run has {current}: its weights and AdamW '
                   'state load exactly (by name, resharded), but the run would not continue the saved one: the '
                   'global batch changes and each rank\'s data stream restarts at iteration x batch x '
                   f'{current} processes.')
        if not self.allow_world_size_change:
            raise RuntimeError(f'{message} Resume with {saved} processes, or pass --cfg-options '
                               'strategy.allow_world_size_change=True to go on anyway.')
        self.logger.warning(message + ' Going on (strategy.allow_world_size_change=True).')

    def load_checkpoint(self,
                        filename: str,
                        *,
                        map_location: Union[str, Callable] = 'cpu',
                        strict: bool = False,
                        revise_keys: List[Tuple[str, str]] = [(r'^module\.', '')],
                        callback: Optional[Callable] = None) -> dict:
        """Load the weights of a checkpoint file, or of a sharded checkpoint directory (each rank reading what its
        shard needs), and return the rest of it; the arguments are mmengine's."""
        if is_sharded_checkpoint(filename):
            self.logger.info(f'Load sharded checkpoint from {filename}')
            checkpoint = read_sharded_meta(filename)
            if callback is not None:
                callback(checkpoint)
            load_sharded_model(filename, self.model, strict=strict)
            checkpoint['optimizer'] = ShardedOptimizerState(filename, checkpoint.pop('optimizer_param_groups', []),
                                                            checkpoint.pop('optim_wrapper', {}))
            return checkpoint
        if osp.isdir(filename):
            raise ValueError(f'{filename} is a directory but no sharded checkpoint (it holds neither .metadata nor '
                             "meta.pth; per-rank rank*.pth files of mmengine's state_dict_cfg='local' are not "
                             "read): give a checkpoint file or a directory that state_dict_cfg='sharded' wrote")
        return super(DDPStrategy, self).load_checkpoint(filename, map_location=map_location, strict=strict,
                                                        revise_keys=revise_keys, callback=callback)

    def load_model_state_dict(self,
                              state_dict: dict,
                              *,
                              strict: bool = False,
                              revise_keys: List[Tuple[str, str]] = [(r'^module\.', '')]) -> None:
        """Load whole weights (an ordinary checkpoint's), keys revised by ``revise_keys`` as mmengine's loader
        does; with ``strict=False`` missing and unexpected keys are logged."""
        for pattern, replacement in revise_keys:
            state_dict = {re.sub(pattern, replacement, k): v for k, v in state_dict.items()}
        result = load_full_model_state_dict(self.model, state_dict, strict=strict)
        if result is not None and (result.missing_keys or result.unexpected_keys):
            self.logger.warning(f'weights not in the checkpoint: {result.missing_keys}; in the checkpoint but not '
                                f'the model: {result.unexpected_keys}')

    def load_optim_state_dict(self, state_dict: Union[dict, ShardedOptimizerState]) -> None:
        """Load the optimizer state by parameter name: a whole one (an ordinary checkpoint's ``'optimizer'``) or
        this rank's shard of a sharded checkpoint's."""
        if isinstance(state_dict, ShardedOptimizerState):
            self._load_wrapper_state(state_dict.wrapper_state)
            load_sharded_optimizer(state_dict.path, self.model, self.optim_wrapper.optimizer,
                                   state_dict.param_groups)
            return
        state_dict = dict(state_dict)
        self._load_wrapper_state(state_dict)
        load_full_optim_state_dict(self.model, self.optim_wrapper.optimizer,
                                   {k: v for k, v in state_dict.items() if k in ('state', 'param_groups')})
