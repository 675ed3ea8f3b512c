from .checkpoint import (UnsafeCheckpointError, checkpoint_safe_globals, load_checkpoint_file,
                         register_checkpoint_safe_globals)

__all__ = ['UnsafeCheckpointError', 'checkpoint_safe_globals', 'register_checkpoint_safe_globals',
           'load_checkpoint_file']
