"""Stop training at the first non-finite loss, naming the iteration, the terms and the samples."""
import math
from collections.abc import Mapping, Sequence

import torch
from mmengine.dist import get_rank
from mmengine.hooks import Hook, RuntimeInfoHook

from eossl.registry import HOOKS

MAX_LISTED_SAMPLES = 64


class NonFiniteLossError(FloatingPointError):
    """A loss term became NaN or ±inf during training (the message says where and on what)."""


def batch_sample_ids(data_batch: object) -> list[str]:
    """``sample_id`` metainfo of every DataSample in a collated batch (``'?'`` where absent)."""
    samples = data_batch.get('data_samples') if isinstance(data_batch, Mapping) else None
    if not isinstance(samples, Sequence):
        return []
    return [str(getattr(s, 'metainfo', {}).get('sample_id', '?')) for s in samples]


@HOOKS.register_module()
class NonFiniteLossHook(Hook):
    """After every training iteration, raise :class:`NonFiniteLossError` if any logged loss
    term (the model's ``log_vars``: ``loss`` and every named term) is NaN or infinite.

    The error names the iteration (1-based, as in the log), the non-finite terms with their
    values, this rank's batch ``sample_id``s (``PackEOInputs(meta_keys=('sample_id',))``) and the
    last checkpoint. It runs before the ``CheckpointHook`` (priority ``HIGH``), so the poisoned
    weights of this step are never saved; the step's optimizer update has already happened.

    Cost: mmengine's ``RuntimeInfoHook`` (priority ``VERY_HIGH``, before this hook) already
    turns every term into a Python float with ``.item()`` each iteration, i.e. one device sync
    per term that every run pays anyway; this hook reads those floats back from the message hub
    and adds no synchronisation. Only without a ``RuntimeInfoHook`` does it call ``.item()``
    itself. eossl algorithms average their logged terms over ranks, so every rank sees the
    non-finite value at the same iteration and all stop together instead of hanging.
    """

    priority = 'HIGH'

    def __init__(self) -> None:
        self._values_in_message_hub = False

    def before_train(self, runner) -> None:
        """Check whether the RuntimeInfoHook already converts the logged terms to floats."""
        self._values_in_message_hub = any(isinstance(h, RuntimeInfoHook) for h in runner.hooks)

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        """Raise :class:`NonFiniteLossError` on a NaN/inf term of ``outputs``."""
        if not outputs:
            return
        bad = {}
        for name, value in outputs.items():
            number = self._as_float(runner, name, value)
            if number is not None and not math.isfinite(number):
                bad[name] = number
        if not bad:
            return
        ids = batch_sample_ids(data_batch)
        listed = ', '.join(ids[:MAX_LISTED_SAMPLES]) + (
            f' (+{len(ids) - MAX_LISTED_SAMPLES} more)' if len(ids) > MAX_LISTED_SAMPLES else '')
        terms = ', '.join(f'{name}={value}' for name, value in bad.items())
        last = runner.message_hub.get_info('last_ckpt') or 'none saved yet'
        message = (f'non-finite loss at iteration {runner.iter + 1} (epoch {runner.epoch + 1}): '
                   f'{terms}; sample ids of the batch on rank {get_rank()}: '
                   f'[{listed or "unknown: pack sample_id with PackEOInputs(meta_keys=...)"}]. '
                   f'Training stopped; the last checkpoint is {last}. Look for invalid pixels '
                   'in those samples, or lower the learning rate / enable gradient clipping.')
        runner.logger.error(message)
        raise NonFiniteLossError(message)

    def _as_float(self, runner, name: str, value: object) -> float | None:
        """The term as a float, read back from the message hub when possible (no device sync)."""
        if self._values_in_message_hub:
            buffer = runner.message_hub.log_scalars.get(f'train/{name}')
            if buffer is not None:
                return float(buffer.current())
        if isinstance(value, torch.Tensor):
            return float(value.detach().float().mean()) if value.numel() else None
        return float(value) if isinstance(value, (int, float)) else None
