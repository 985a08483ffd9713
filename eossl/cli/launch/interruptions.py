"""What ``eossl-train`` does around ``runner.train()``: one run per work dir, and a way back
after any stop.

:func:`lock_work_dir` refuses a second run on a work dir (see :mod:`.work_dir_lock`);
:func:`train_with_resume_hint` runs training and, when it ends early — a stop signal
(:class:`~eossl.cli.launch.stop_signals.TrainingStopped`, exit code 143 / 130), a crash, a killed
DataLoader worker — prints the checkpoint it can continue from and the ``--resume`` command.
"""
import logging
import os
import os.path as osp
import shlex
import sys

from mmengine.logging import print_log

from .stop_signals import TrainingStopped
from .work_dir_lock import WorkDirLock, _describe

POINTER = 'last_checkpoint'
_RANK_VARIABLES = ('RANK', 'SLURM_PROCID', 'OMPI_COMM_WORLD_RANK')


def _global_rank() -> int:
    """This process's rank from the launcher's environment (before any process group)."""
    for name in _RANK_VARIABLES:
        if os.environ.get(name, '').isdigit():
            return int(os.environ[name])
    return 0


def lock_work_dir(work_dir: str) -> WorkDirLock | None:
    """Take the work dir's lock on rank 0 (other ranks belong to the same run); None there."""
    if _global_rank() != 0:
        return None
    lock = WorkDirLock(work_dir).acquire()
    if lock.previous and lock.previous.get('pid') != os.getpid():
        print_log(f'work dir {work_dir}: the run that last held it ({_describe(lock.previous)}) '
                  'is no longer running; this run takes it over', logger='current',
                  level=logging.INFO)
    return lock


def resume_command(config: str, work_dir: str) -> str:
    """The command that continues this run from its last checkpoint."""
    return ' '.join(shlex.quote(a) for a in
                    ('eossl-train', config, '--work-dir', work_dir, '--resume'))


def train_with_resume_hint(runner, config: str) -> None:
    """``runner.train()``; on a stop signal print the resume command and exit with the
    signal's code, on any other error print it (when a checkpoint exists) and re-raise."""
    try:
        runner.train()
    except TrainingStopped as stop:
        print(f'eossl-train: {stop}. Resume with: {resume_command(config, runner.work_dir)}',
              file=sys.stderr, flush=True)
        raise SystemExit(stop.exit_code) from None
    except BaseException:
        pointer = osp.join(runner.work_dir, POINTER)
        if osp.isfile(pointer) and _global_rank() == 0:
            with open(pointer) as f:
                last = f.read().strip()
            print(f'eossl-train: training failed; the last checkpoint is {last}. After fixing '
                  f'the cause, resume with: {resume_command(config, runner.work_dir)}',
                  file=sys.stderr, flush=True)
        raise
