"""FSDPStrategy: mmengine's FSDP strategy, made to resume under current torch and to run on CPU processes."""
import torch
from mmengine._strategy import FSDPStrategy as MMEngineFSDPStrategy
from torch.distributed.fsdp import FullyShardedDataParallel

from umgclip_mm.registry import STRATEGIES


@STRATEGIES.register_module()
class FSDPStrategy(MMEngineFSDPStrategy):
    """mmengine's ``FSDPStrategy`` (``FlexibleRunner``: model sharded by ``FullyShardedDataParallel``) with two
    fixes, so that a config names ``type='umgclip_mm.FSDPStrategy'`` and changes nothing else:

    - **Resume.** mmengine 0.10 calls ``FSDP.optim_state_dict_to_load(state_dict, model, optimizer)``, the argument
      order of torch 1.13; torch 2 takes ``(model, optim, optim_state_dict)``, so every ``--resume`` of a sharded
      run failed (``TypeError: unhashable type: 'dict'``). Here the arguments are passed by name. Weights, data
      position and schedule resume exactly; the AdamW moments do not (torch's conversion misplaces some of them;
      docs/distributed.md, tests/test_tools/test_sharded_training.py).
    - **CPU processes.** mmengine passes ``device_id=LOCAL_RANK``, which FSDP reads as a CUDA device; without CUDA
      the wrapper gets the CPU device instead (gloo; what the tests run). With CUDA nothing changes.

    Args:
        model_wrapper (dict, optional): ``MMFullyShardedDataParallel`` arguments: ``auto_wrap_policy`` (ours:
            ``dict(type='umgclip_mm.transformer_block_wrap_policy')``), ``sharding_strategy`` (``'FULL_SHARD'``,
            ``'SHARD_GRAD_OP'``, ``'HYBRID_SHARD'``), ``mixed_precision``, ``cpu_offload``, ``backward_prefetch``.
        state_dict_cfg (str | dict): ``'full'`` (checkpoints in the ordinary layout, gathered on rank 0 and
            offloaded to its CPU: every task config and a resume at any world size read them) or ``'local'``
            (one file per rank; resume only at the same world size).
        skip_init_weights (bool): Build on the meta device and skip ``init_weights`` (weights come from a
            checkpoint).
        activation_checkpointing (dict, optional): mmengine's; our towers' ``with_cp=True`` does the same per
            block.
        **kwargs: ``work_dir``, ``env_kwargs``, ``log_kwargs`` and the rest of mmengine's strategy arguments.
    """

    def _wrap_model(self, model: torch.nn.Module):
        if not torch.cuda.is_available():
            self.model_wrapper = dict(self.model_wrapper or dict(type='MMFullyShardedDataParallel'),
                                      device_id=torch.device('cpu'))
        return super()._wrap_model(model)

    def load_optim_state_dict(self, state_dict: dict) -> None:
        optim_state_dict = FullyShardedDataParallel.optim_state_dict_to_load(
            model=self.model, optim=self.optim_wrapper.optimizer, optim_state_dict=state_dict)
        self.optim_wrapper.load_state_dict(optim_state_dict)
