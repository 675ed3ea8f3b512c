"""Training strategies of mmengine's FlexibleRunner."""
from .fsdp_strategy import FSDPStrategy

__all__ = ['FSDPStrategy']
