"""Runner extensions: hooks, a training loop whose resume costs the same at any step, and the optimizer wrappers
and functions of sharded (FSDP) training."""
from .functions import *  # noqa: F401,F403
from .functions import __all__ as _functions
from .hooks import *  # noqa: F401,F403
from .hooks import __all__ as _hooks
from .loops import *  # noqa: F401,F403
from .loops import __all__ as _loops
from .optim_wrappers import *  # noqa: F401,F403
from .optim_wrappers import __all__ as _optim_wrappers
from .strategies import *  # noqa: F401,F403
from .strategies import __all__ as _strategies

__all__ = list(_hooks) + list(_loops) + list(_functions) + list(_optim_wrappers) + list(_strategies)
