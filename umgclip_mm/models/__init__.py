"""Models of umgclip_mm. Importing this package registers every model component."""
from .backbones import *  # noqa: F401,F403
from .classifiers import *  # noqa: F401,F403
from .detectors import *  # noqa: F401,F403
from .heads import *  # noqa: F401,F403
from .losses import *  # noqa: F401,F403
from .necks import *  # noqa: F401,F403
from .open_vocab import *  # noqa: F401,F403
from .poolers import *  # noqa: F401,F403
from .pretrainers import *  # noqa: F401,F403
from .segmentors import *  # noqa: F401,F403
from .text_encoders import *  # noqa: F401,F403
from .backbones import __all__ as _backbones
from .classifiers import __all__ as _classifiers
from .detectors import __all__ as _detectors
from .heads import __all__ as _heads
from .losses import __all__ as _losses
from .necks import __all__ as _necks
from .open_vocab import __all__ as _open_vocab
from .poolers import __all__ as _poolers
from .pretrainers import __all__ as _pretrainers
from .segmentors import __all__ as _segmentors
from .text_encoders import __all__ as _text_encoders

__all__ = (_backbones + _classifiers + _detectors + _heads + _losses + _necks + _open_vocab + _poolers + _pretrainers +
           _segmentors + _text_encoders)
