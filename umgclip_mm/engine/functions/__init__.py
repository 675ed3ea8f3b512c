"""Functions that configs name by registry (FSDP's auto-wrap policy)."""
from .transformer_block_wrap_policy import transformer_block_wrap_policy

__all__ = ['transformer_block_wrap_policy']
