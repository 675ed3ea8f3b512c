"""Runner extensions: hooks."""
from .hooks import *  # noqa: F401,F403
from .hooks import __all__

__all__ = list(__all__)
