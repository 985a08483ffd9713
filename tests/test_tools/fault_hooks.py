"""A fault for the restart tests: one rank dies mid-epoch, once (imported by the tested run via
``custom_imports``, so that it runs inside torchrun's worker processes)."""
import os
from pathlib import Path

from mmengine.dist import get_rank
from mmengine.hooks import Hook

from eossl.registry import HOOKS


@HOOKS.register_module()
class ExitOnceAt(Hook):
    """``os._exit(1)`` on rank ``rank`` before iteration ``iteration`` (0-based) unless
    ``marker`` exists; creates ``marker`` first, so the restarted run passes."""

    priority = 'HIGHEST'

    def __init__(self, rank: int, iteration: int, marker: str) -> None:
        self.rank, self.iteration, self.marker = rank, iteration, Path(marker)

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        if runner.iter == self.iteration and get_rank() == self.rank \
                and not self.marker.exists():
            self.marker.write_text(f'rank {self.rank} exited before iteration {self.iteration}')
            os._exit(1)
