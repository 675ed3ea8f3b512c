"""FSDPOptimWrapper: mmengine's OptimWrapper with gradient clipping by the norm over every rank's shard."""
from contextlib import contextmanager

from mmengine.optim import OptimWrapper
from torch import nn

from umgclip_mm.registry import OPTIM_WRAPPERS


class ShardedClipMixin:
    """Clip by the global gradient norm when the model is sharded by FSDP.

    mmengine's ``OptimWrapper`` clips with ``torch.nn.utils.clip_grad_norm_`` over the parameters of its optimizer.
    Under FSDP those hold only this rank's shard of each gradient, so every rank computes the norm of its own shard,
    scales by a different factor, and the replicas of the model drift apart. FSDP's own
    ``FullyShardedDataParallel.clip_grad_norm_`` reduces the norm over all shards; the model it is called on is the
    one the train step passes to :meth:`optim_context`. Value clipping is element-wise, so it is right on shards and
    stays mmengine's.
    """

    _sharded_model = None

    @contextmanager
    def optim_context(self, model: nn.Module):
        self._sharded_model = model
        with super().optim_context(model):
            yield

    def _clip_grad(self) -> None:
        from torch.distributed.fsdp import FullyShardedDataParallel
        model = self._sharded_model
        if not isinstance(model, FullyShardedDataParallel) or self.clip_func is not nn.utils.clip_grad_norm_:
            return super()._clip_grad()
        norm = model.clip_grad_norm_(**self.clip_grad_kwargs)
        self.message_hub.update_scalar(f'train/{self.grad_name}', float(norm))


@OPTIM_WRAPPERS.register_module()
class FSDPOptimWrapper(ShardedClipMixin, OptimWrapper):
    """mmengine's ``OptimWrapper`` for models sharded by FSDP (``FlexibleRunner`` with ``FSDPStrategy``): the same
    update, with ``clip_grad=dict(max_norm=...)`` clipping by the norm over all shards instead of each rank's own
    (see :class:`ShardedClipMixin`). Use :class:`FSDPAmpOptimWrapper` for mixed precision. With an unsharded model
    it behaves exactly as ``OptimWrapper``.

    Args:
        optimizer (Optimizer): The optimizer (built by the runner from ``optimizer=dict(...)``).
        accumulative_counts (int): Gradient accumulation steps, as ``OptimWrapper``.
        clip_grad (dict, optional): ``dict(max_norm=..., norm_type=2)`` clips by the global norm;
            ``dict(type='value', clip_value=...)`` by value.
    """
