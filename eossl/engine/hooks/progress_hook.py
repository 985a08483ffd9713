"""A progress bar over each training epoch's iterations, for runs watched in a terminal.

mmengine logs a line every ``logger.interval`` iterations with an ETA for the whole run; between
two lines nothing moves, and a long epoch gives no sense of where it is. The bar
(:func:`eossl.apis.progress.progress_bar`: tqdm, else mmengine's) shows the iterations done of
the current epoch (``epoch 3/200``) on stderr of rank 0. By default only when stderr is a
terminal, so log files and CI output stay line-based.
"""
import sys

from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmengine.runner import IterBasedTrainLoop

from eossl.apis.progress import Bar, progress_bar
from eossl.registry import HOOKS

SHOW = ('tty', 'always', 'never')


@HOOKS.register_module()
class EpochProgressHook(Hook):
    """Progress bar of the training iterations, one bar per epoch (iteration-based loops: one
    bar over ``max_iters``).

    Args:
        show: ``'tty'`` (default: when stderr is a terminal), ``'always'`` or ``'never'``.
    """

    priority = 'VERY_LOW'

    def __init__(self, show: str = 'tty') -> None:
        if show not in SHOW:
            raise ValueError(f'EpochProgressHook: show must be one of {SHOW}, got {show!r}')
        self.show = show
        self.bar: Bar | None = None

    def _enabled(self) -> bool:
        return is_main_process() and (self.show == 'always'
                                      or self.show == 'tty' and sys.stderr.isatty())

    def before_train_epoch(self, runner) -> None:
        """Start the epoch's bar."""
        if not self._enabled():
            return
        if isinstance(runner.train_loop, IterBasedTrainLoop):
            total, desc = runner.max_iters - runner.iter, 'iterations'
        else:
            total, desc = len(runner.train_dataloader), \
                f'epoch {runner.epoch + 1}/{runner.max_epochs}'
        self.bar = progress_bar(total, desc=desc, unit='it')

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        """One iteration done."""
        if self.bar is not None:
            self.bar.update(1)

    def after_train_epoch(self, runner) -> None:
        """Close the epoch's bar."""
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def after_train(self, runner) -> None:
        """Close a bar an iteration-based loop left open."""
        self.after_train_epoch(runner)
