"""mmengine's ``OptimWrapper`` with mixed precision on any device and FSDP-aware clipping."""
from collections.abc import Iterator
from contextlib import contextmanager

import torch
from mmengine.optim import OptimWrapper
from torch import nn
from torch.distributed.fsdp import FullyShardedDataParallel

from eossl.registry import OPTIM_WRAPPERS

DTYPES = {'bfloat16': torch.bfloat16, 'float16': torch.float16}


def _device_type(model: nn.Module) -> str:
    """'cuda' or 'cpu': where the model's parameters live (the first one decides)."""
    param = next(model.parameters(), None)
    return 'cpu' if param is None else param.device.type


@OPTIM_WRAPPERS.register_module()
class EOOptimWrapper(OptimWrapper):
    """``OptimWrapper`` that runs the forward under autocast on whichever device the model is
    on, scales the loss only for fp16, and clips FSDP models by their global gradient norm.

    Why not mmengine's ``AmpOptimWrapper`` (0.10.7): it refuses CPUs, and it always keeps a
    ``GradScaler``, which bf16 (fp32's exponent range) does not need. Why not plain
    ``OptimWrapper`` under FSDP: it clips with ``torch.nn.utils.clip_grad_norm_``, which on a
    sharded model sees only this rank's shard, so every rank clips by a different factor and the
    logged ``grad_norm`` is rank 0's shard; here an FSDP model is clipped with its own
    ``FullyShardedDataParallel.clip_grad_norm_`` (the norm over all shards, the same on every
    rank).

    The data preprocessor runs inside this autocast region (mmengine's ``train_step``);
    ``EODataPreprocessor`` turns autocast off for itself, so inputs are prepared in fp32.

    Args:
        optimizer: the optimizer.
        dtype: ``'bfloat16'``, ``'float16'`` (CUDA only) or ``None`` (fp32, no autocast).
        loss_scale: fp16 only: ``'dynamic'``, a float (static) or ``GradScaler`` kwargs.
        use_fsdp: fp16 on an FSDP model: scale with torch's ``ShardedGradScaler``.
        **kwargs: ``OptimWrapper`` arguments (``clip_grad``, ``accumulative_counts``).
    """

    def __init__(self, optimizer: torch.optim.Optimizer, dtype: str | None = None,
                 loss_scale: str | float | dict = 'dynamic', use_fsdp: bool = False,
                 **kwargs) -> None:
        super().__init__(optimizer=optimizer, **kwargs)
        if dtype is not None and dtype not in DTYPES:
            raise ValueError(f'EOOptimWrapper: dtype must be one of {sorted(DTYPES)} or None, '
                             f'got {dtype!r}')
        self.cast_dtype = DTYPES.get(dtype)
        self._model: nn.Module | None = None
        self._scale_update_param, self.loss_scaler = None, None
        if self.cast_dtype is torch.float16:
            if use_fsdp:
                from torch.distributed.fsdp.sharded_grad_scaler import ShardedGradScaler
                scaler = ShardedGradScaler
            else:
                scaler = torch.amp.GradScaler
            if isinstance(loss_scale, float):
                self._scale_update_param = loss_scale
                self.loss_scaler = scaler(init_scale=loss_scale)
            elif isinstance(loss_scale, dict):
                self.loss_scaler = scaler(**loss_scale)
            elif loss_scale == 'dynamic':
                self.loss_scaler = scaler()
            else:
                raise ValueError(f"EOOptimWrapper: loss_scale must be 'dynamic', a float or a "
                                 f'dict, got {loss_scale!r}')

    @contextmanager
    def optim_context(self, model: nn.Module) -> Iterator[None]:
        """Gradient-accumulation context of the parent, plus autocast on the model's device."""
        self._model = model
        with super().optim_context(model):
            if self.cast_dtype is None:
                yield
                return
            device_type = _device_type(model)
            if device_type == 'cpu' and self.cast_dtype is torch.float16:
                raise RuntimeError('EOOptimWrapper: float16 autocast needs a CUDA device; use '
                                   "dtype='bfloat16' on CPUs")
            with torch.autocast(device_type=device_type, dtype=self.cast_dtype):
                yield

    def backward(self, loss: torch.Tensor, **kwargs) -> None:
        """Backward of ``loss`` (scaled first under fp16)."""
        if self.loss_scaler is not None:
            loss = self.loss_scaler.scale(loss)
        loss.backward(**kwargs)
        self._inner_count += 1

    def step(self, **kwargs) -> None:
        """Unscale (fp16), clip, then step the optimizer (through the scaler under fp16)."""
        if self.loss_scaler is not None and self.clip_grad_kwargs:
            self.loss_scaler.unscale_(self.optimizer)
        if self.clip_grad_kwargs:
            self._clip_grad()
        if self.loss_scaler is None:
            self.optimizer.step(**kwargs)
            return
        self.loss_scaler.step(self.optimizer, **kwargs)
        self.loss_scaler.update(self._scale_update_param)

    def _clip_grad(self) -> None:
        """The parent's clipping, except norm clipping of an FSDP model, which uses FSDP's own
        ``clip_grad_norm_`` over all shards (see the class docstring)."""
        model = self._model
        if not (isinstance(model, FullyShardedDataParallel)
                and self.clip_func is torch.nn.utils.clip_grad_norm_):
            super()._clip_grad()
            return
        norm = model.clip_grad_norm_(**self.clip_grad_kwargs)
        self.message_hub.update_scalar(f'train/{self.grad_name}', float(norm))

    def state_dict(self) -> dict:
        """The optimizer's state (and the loss scaler's under fp16)."""
        state = super().state_dict()
        if self.loss_scaler is not None:
            state['loss_scaler'] = self.loss_scaler.state_dict()
        return state

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore what :meth:`state_dict` saved (a scaler state without fp16 is dropped)."""
        scaler = state_dict.pop('loss_scaler', None)
        if scaler is not None and self.loss_scaler is not None:
            self.loss_scaler.load_state_dict(scaler)
        super().load_state_dict(state_dict)
