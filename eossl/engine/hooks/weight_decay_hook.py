"""Cosine schedule of the optimizer's weight decay (DINO's 0.04 → 0.4, PerA's 0.04 → 0.2)."""
from mmengine.hooks import Hook
from mmengine.optim import OptimWrapperDict

from eossl.registry import HOOKS
from .schedule import cosine


@HOOKS.register_module()
class WeightDecayCosineHook(Hook):
    """Before each iteration set every param group's weight decay to ``mult · wd(k)``.

    ``wd(k)`` goes from ``start`` to ``end`` by a cosine over all iterations. ``mult`` is the
    group's initial weight decay divided by the optimizer's default (recorded before any
    checkpoint is resumed), so paramwise settings survive: groups without decay stay at 0.
    mmengine's parameter schedulers cannot do this, because their ``eta_min`` ignores the
    per-group multipliers. Logged as ``train/weight_decay``.

    Args:
        start: weight decay at iteration 0 (also the optimizer cfg's ``weight_decay``).
        end: weight decay at the last iteration.
    """

    priority = 'NORMAL'

    def __init__(self, start: float = 0.04, end: float = 0.2) -> None:
        if start < 0 or end < 0:
            raise ValueError(f'WeightDecayCosineHook: need non-negative values, got {start}, {end}')
        self.start, self.end = start, end
        self.multipliers: list[list[float]] = []

    @staticmethod
    def _optimizers(runner) -> list:
        wrapper = runner.optim_wrapper
        wrappers = wrapper.values() if isinstance(wrapper, OptimWrapperDict) else [wrapper]
        return [w.optimizer for w in wrappers]

    def before_run(self, runner) -> None:
        """Record each group's multiplier from the freshly built optimizer."""
        self.multipliers = []
        for optimizer in self._optimizers(runner):
            default = optimizer.defaults.get('weight_decay', 0.0)
            if default <= 0:
                raise ValueError('WeightDecayCosineHook: the optimizer cfg needs weight_decay > 0 '
                                 f'(set it to start={self.start}), got {default}')
            self.multipliers.append([g['weight_decay'] / default
                                     for g in optimizer.param_groups])

    def value(self, iteration: int, max_iters: int) -> float:
        """Scheduled weight decay at ``iteration`` (0-based) of ``max_iters``."""
        return cosine(self.start, self.end, iteration / max(max_iters, 1))

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        """Apply the scheduled weight decay to every param group."""
        wd = self.value(runner.iter, runner.max_iters)
        for optimizer, mults in zip(self._optimizers(runner), self.multipliers):
            for group, mult in zip(optimizer.param_groups, mults):
                group['weight_decay'] = wd * mult
        runner.message_hub.update_scalar('train/weight_decay', wd)
