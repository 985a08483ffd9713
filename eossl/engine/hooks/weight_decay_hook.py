"""Logs the weight decay that mmengine's parameter scheduler sets (it logs only the lr)."""
from mmengine.hooks import Hook
from mmengine.optim import OptimWrapperDict

from eossl.registry import HOOKS


@HOOKS.register_module()
class WeightDecayLoggerHook(Hook):
    """Before each iteration log ``train/weight_decay``: the largest param-group weight decay.

    The recipes schedule the decay with ``CosineAnnealingParamScheduler(param_name=
    'weight_decay', eta_min_ratio=...)``, which scales every group from its own initial value
    (``decay_mult`` groups follow proportionally, 0 stays 0) and resumes with the checkpoint; the
    largest group value is the scheduled base value whenever a group has ``decay_mult`` 1. Reads
    the optimizer only, so hook order and resume order (``Runner`` / ``FlexibleRunner``) do not
    matter.
    """

    priority = 'LOW'

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        """Log the current value."""
        wrapper = runner.optim_wrapper
        wrappers = wrapper.values() if isinstance(wrapper, OptimWrapperDict) else [wrapper]
        decay = max(group.get('weight_decay', 0.0) for w in wrappers
                    for group in w.optimizer.param_groups)
        runner.message_hub.update_scalar('train/weight_decay', decay)
