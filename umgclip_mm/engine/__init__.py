"""Runner extensions: hooks, and the optimizer wrappers, strategy and functions of sharded (FSDP) training."""
from .functions import *  # noqa: F401,F403
from .functions import __all__ as _functions
from .hooks import *  # noqa: F401,F403
from .hooks import __all__ as _hooks
from .optim_wrappers import *  # noqa: F401,F403
from .optim_wrappers import __all__ as _optim_wrappers
from .strategies import *  # noqa: F401,F403
from .strategies import __all__ as _strategies

__all__ = list(_hooks) + list(_functions) + list(_optim_wrappers) + list(_strategies)
