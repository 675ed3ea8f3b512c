from .checkpoint import (UnsafeCheckpointError, checkpoint_safe_globals, load_checkpoint_file,
                         register_checkpoint_safe_globals)
from .checkpoint_kind import checkpoint_kind, mismatch_hint, model_kind

__all__ = ['UnsafeCheckpointError', 'checkpoint_safe_globals', 'register_checkpoint_safe_globals',
           'load_checkpoint_file', 'checkpoint_kind', 'mismatch_hint', 'model_kind']
