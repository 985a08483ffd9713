"""Moves the EMA teacher after every optimizer step, with a cosine momentum schedule."""
from mmengine.hooks import Hook

from eossl.engine.fsdp import full_params
from eossl.registry import HOOKS

from .schedule import cosine, unwrap


@HOOKS.register_module()
class TeacherEMAHook(Hook):
    """After each training iteration call ``model.update_teacher(m)`` with a cosine ``m``.

    ``m(k) = end + (start − end) · (1 + cos(π k / K)) / 2`` for iteration k of K = max_iters
    (DINO's schedule; PerA: 0.992 → 1.0). The value is logged as ``train/teacher_momentum``.
    Stateless, so resuming continues the schedule exactly.

    Args:
        momentum: momentum at the first iteration.
        end_momentum: momentum reached at the last iteration.
    """

    priority = 'NORMAL'

    def __init__(self, momentum: float = 0.992, end_momentum: float = 1.0) -> None:
        if not (0.0 <= momentum <= 1.0 and 0.0 <= end_momentum <= 1.0):
            raise ValueError(f'TeacherEMAHook: momenta must be in [0, 1], got {momentum}, '
                             f'{end_momentum}')
        self.momentum, self.end_momentum = momentum, end_momentum

    def value(self, iteration: int, max_iters: int) -> float:
        """Momentum used after iteration ``iteration`` (0-based) of ``max_iters``."""
        return cosine(self.momentum, self.end_momentum, iteration / max(max_iters, 1))

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        """EMA step of the teacher towards the just-updated student."""
        model = unwrap(runner.model)
        if not hasattr(model, 'update_teacher'):
            raise AttributeError(f'TeacherEMAHook: {type(model).__name__} has no '
                                 'update_teacher(momentum) method')
        momentum = self.value(runner.iter, runner.max_iters)
        with full_params(runner.model):  # FSDP: gathers the root unit only (see full_params)
            model.update_teacher(momentum)
        runner.message_hub.update_scalar('train/teacher_momentum', momentum)
