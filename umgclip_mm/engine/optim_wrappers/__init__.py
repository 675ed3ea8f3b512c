"""Optimizer wrappers for sharded (FSDP) training."""
from .fsdp_amp_optim_wrapper import FSDPAmpOptimWrapper
from .fsdp_optim_wrapper import FSDPOptimWrapper

__all__ = ['FSDPOptimWrapper', 'FSDPAmpOptimWrapper']
