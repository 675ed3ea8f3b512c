"""Functions that configs name by registry (FSDP's auto-wrap policy, the pretraining collate)."""
from .pack_collate import pack_collate, pack_data_samples
from .transformer_block_wrap_policy import transformer_block_wrap_policy

__all__ = ['transformer_block_wrap_policy', 'pack_collate', 'pack_data_samples']
