"""Linear warm-up of the teacher softmax temperature."""
from mmengine.hooks import Hook

from eossl.registry import HOOKS

from .schedule import unwrap


@HOOKS.register_module()
class TeacherTempWarmupHook(Hook):
    """Before each iteration set ``model.teacher_temp``: linear ``start → end``, then ``end``.

    The value changes every iteration; ``warmup`` counts epochs (``by_epoch=True``, converted
    with the train dataloader length) or iterations. As the official ``np.linspace(start, end,
    W)`` warm-up over W iterations, iteration W − 1 already reaches ``end``. PerA: 0.03 → 0.05
    over 30 epochs. Logged as ``train/teacher_temp``.

    Args:
        start: temperature at iteration 0.
        end: temperature after the warm-up.
        warmup: warm-up length in epochs or iterations (0 = ``end`` from the start).
        by_epoch: whether ``warmup`` counts epochs.
    """

    priority = 'NORMAL'

    def __init__(self, start: float = 0.03, end: float = 0.05, warmup: int = 30,
                 by_epoch: bool = True) -> None:
        if start <= 0 or end <= 0 or warmup < 0:
            raise ValueError(f'TeacherTempWarmupHook: need positive temperatures and warmup ≥ 0, '
                             f'got start={start}, end={end}, warmup={warmup}')
        self.start, self.end, self.warmup, self.by_epoch = start, end, warmup, by_epoch

    def value(self, iteration: int, iters_per_epoch: int) -> float:
        """Temperature at ``iteration`` (0-based)."""
        warmup_iters = self.warmup * (iters_per_epoch if self.by_epoch else 1)
        if iteration >= warmup_iters:
            return self.end
        if warmup_iters == 1:
            return self.start
        return self.start + (self.end - self.start) * iteration / (warmup_iters - 1)

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        """Write the scheduled temperature into the model."""
        model = unwrap(runner.model)
        if not hasattr(model, 'teacher_temp'):
            raise AttributeError(f'TeacherTempWarmupHook: {type(model).__name__} has no '
                                 'teacher_temp attribute')
        iters_per_epoch = len(runner.train_dataloader) if self.by_epoch else 1
        model.teacher_temp = self.value(runner.iter, iters_per_epoch)
        runner.message_hub.update_scalar('train/teacher_temp', model.teacher_temp)
