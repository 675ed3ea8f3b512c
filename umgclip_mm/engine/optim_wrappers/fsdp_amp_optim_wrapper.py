"""FSDPAmpOptimWrapper: mmengine's AmpOptimWrapper for FSDP, with the sharded gradient scaler and global clipping."""
from mmengine.optim import AmpOptimWrapper

from umgclip_mm.registry import OPTIM_WRAPPERS
from .fsdp_optim_wrapper import ShardedClipMixin


@OPTIM_WRAPPERS.register_module()
class FSDPAmpOptimWrapper(ShardedClipMixin, AmpOptimWrapper):
    """Mixed precision (autocast) for models sharded by FSDP (``FlexibleRunner`` with ``FSDPStrategy``).

    Two things differ from ``AmpOptimWrapper``: the loss scaler is FSDP's ``ShardedGradScaler`` (``use_fsdp=True``),
    whose skipped-step decision is agreed over all ranks (with a plain ``GradScaler`` a rank whose shard holds an
    infinity would skip a step the others take), and ``clip_grad=dict(max_norm=...)`` clips by the norm over all
    shards (:class:`ShardedClipMixin`). Parameters, gradients and AdamW state stay float32 and sharded; autocast
    runs the matrix products in ``dtype``.

    Args:
        dtype (str): ``'bfloat16'`` (the pretraining presets) or ``'float16'``.
        loss_scale (str | float | dict): As ``AmpOptimWrapper``; ``'dynamic'`` by default.
        use_fsdp (bool): Use ``ShardedGradScaler``; True here.
        **kwargs: ``optimizer``, ``clip_grad``, ``accumulative_counts`` as ``OptimWrapper``.
    """

    def __init__(self, use_fsdp: bool = True, **kwargs):
        super().__init__(use_fsdp=use_fsdp, **kwargs)
