"""Train a recipe in a forked child process (optionally killed with SIGKILL) and read its log.

Forking skips the seconds of importing torch/mmengine/eossl that a ``tools/train.py``
subprocess pays, yet each run is a real separate process: ``kill -9`` really kills it and a
resumed run starts from a fresh interpreter state (generators re-seeded by the Runner).
"""
import json
import os
import signal
from pathlib import Path

import pytest
import torch
import torch.multiprocessing as mp
from mmengine.config import Config
from mmengine.hooks import Hook

from eossl.cli.launch.interruptions import lock_work_dir, train_with_resume_hint
from eossl.cli.launch.runner_config import adapt_to_device, build_runner, merge_cli_args

REPO_ROOT = Path(__file__).resolve().parents[2]
# values that differ between identical runs (wall-clock) or only count steps
UNTIMED = ('time', 'data_time', 'eta', 'memory', 'epoch', 'iter', 'step')


class SelfKill(Hook):
    """SIGKILL this process before training iteration ``at`` (0-based), mid-epoch."""

    priority = 'HIGHEST'

    def __init__(self, at: int) -> None:
        self.at = at

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        if runner.iter == self.at:
            os.kill(os.getpid(), signal.SIGKILL)


class SendSignal(Hook):
    """Send ``signum`` to this process before training iteration ``at`` (0-based), or, with
    ``during='save'``, once while the checkpoint after ``at`` iterations is being written."""

    priority = 'HIGHEST'

    def __init__(self, at: int, signum: int, during: str = 'iteration') -> None:
        self.at, self.signum, self.during = at, signum, during

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        if self.during == 'iteration' and runner.iter == self.at:
            os.kill(os.getpid(), self.signum)

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        if self.during == 'save' and runner.iter == self.at:
            self.during = 'sent'  # once: the stop checkpoint is saved at the same iteration
            os.kill(os.getpid(), self.signum)


def _train(recipe: str, options: dict, work_dir: str, resume: str | None,
           kill_at: int | None, hooks: tuple = ()) -> None:
    """Child process: build the recipe as ``tools/train.py`` does (work-dir lock, resume hint
    and exit code on a stop signal included) and train."""
    # one thread: libgomp's pool does not survive fork, and runs compared bit for bit must sum
    # in the same order
    torch.set_num_threads(1)
    cfg = Config.fromfile(REPO_ROOT / recipe)
    cfg = merge_cli_args(cfg, config_path=recipe, work_dir=work_dir, resume=resume,
                         cfg_options=options)
    cfg.experiment_name = f'{Path(work_dir).name}-{os.getpid()}'
    cfg = adapt_to_device(cfg)
    lock_work_dir(cfg.work_dir)
    runner = build_runner(cfg)  # Runner, or FlexibleRunner by runner_type
    if kill_at is not None:
        runner.register_hook(SelfKill(kill_at))
    for hook in hooks:
        runner.register_hook(hook)
    train_with_resume_hint(runner, recipe)


def train_forked(recipe: str, options: dict, work_dir: Path, resume: str | None = None,
                 kill_at: int | None = None, hooks: tuple = ()) -> int:
    """Train ``recipe`` with ``options`` (``--cfg-options``) in a forked child; its exit code.

    ``resume``: as ``tools/train.py --resume`` (``'auto'`` or a checkpoint path).
    ``kill_at``: SIGKILL the child before that iteration (exit code ``-SIGKILL``).
    ``hooks``: further hooks registered in the child (fault injection).
    """
    child = mp.get_context('fork').Process(
        target=_train, args=(recipe, options, str(work_dir), resume, kill_at, hooks))
    child.start()
    child.join(timeout=300)
    if child.is_alive():
        child.kill()
        raise TimeoutError(f'training {recipe} in {work_dir} did not finish in 300 s')
    return child.exitcode


def logged_steps(work_dir: Path, run: int = -1) -> dict[int, dict[str, float]]:
    """``{step: {logged scalar: value}}`` of one run's ``scalars.json`` (default: the newest
    run in ``work_dir``), without the timing fields."""
    runs = sorted(work_dir.glob('*/vis_data/scalars.json'))
    steps = {}
    for line in runs[run].read_text().splitlines():
        record = json.loads(line)
        steps[record['step']] = {k: v for k, v in record.items() if k not in UNTIMED}
    return steps


def resume_forked(recipe: str, options: dict, work_dir: Path, expected: dict, first_step: int,
                  exact: bool = False) -> None:
    """Resume an interrupted run in ``work_dir`` (``--resume auto``) in a forked child and
    assert it logs steps ``first_step``.. to the end — no batch twice, none missed — each equal
    to ``expected`` (:func:`logged_steps` of the uninterrupted run; ``exact`` or within 1e-5)."""
    for stale in work_dir.glob('*/vis_data/scalars.json'):  # the interrupted run's log
        stale.unlink()
    assert train_forked(recipe, options, work_dir, resume='auto') == 0
    resumed = logged_steps(work_dir)
    assert sorted(resumed) == list(range(first_step, max(expected) + 1))
    for step in resumed:
        want = expected[step] if exact else pytest.approx(expected[step], rel=1e-5, abs=1e-7)
        assert resumed[step] == want, step
