"""UMG-CLIP for OpenMMLab.

Importing the package registers nothing eagerly: the registries in :mod:`umgclip_mm.registry` import their modules
lazily. It does allow-list the data classes mmengine stores in checkpoints for torch's weights-only unpickler
(:mod:`umgclip_mm.utils.checkpoint`), so that ``resume=True`` works without ``weights_only=False``.
"""
from .utils.checkpoint import register_checkpoint_safe_globals
from .version import __version__

register_checkpoint_safe_globals()

__all__ = ['__version__']
