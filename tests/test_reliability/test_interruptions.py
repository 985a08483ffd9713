"""Faults that end a long run early: a stop signal (SIGTERM from a scheduler, Ctrl-C) in the
middle of an epoch or of a checkpoint save, a killed DataLoader worker, and a second run started
on the same work dir. Each run is a real forked process training tiny PerA (a few seconds)."""
import multiprocessing
import os
import signal
import socket
import time

import pytest
import torch
from mmengine.hooks import Hook

from eossl.cli.launch.stop_signals import StopSignals
from eossl.cli.launch.work_dir_lock import LOCK_NAME, WorkDirLock, WorkDirLockedError
from eossl.testing import make_fake_ssl4eo_s12

from .forked_training import SendSignal, logged_steps, resume_forked, train_forked
from .tiny_recipes import PERA, pera_options


@pytest.fixture(scope='module')
def ssl4eo_root(tmp_path_factory):
    root = tmp_path_factory.mktemp('ssl4eo')
    make_fake_ssl4eo_s12(root, num_locations=4, seasons=2, size=48, modalities=('s2c',))
    return root


def weights(path) -> dict[str, torch.Tensor]:
    return torch.load(path, map_location='cpu')['state_dict']


def same_weights(a, b) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


@pytest.fixture(scope='module')
def straight(tmp_path_factory, ssl4eo_root):
    """The uninterrupted run: logged steps and final weights (3 epochs x 2 iterations)."""
    work_dir = tmp_path_factory.mktemp('straight')
    assert train_forked(PERA, pera_options(ssl4eo_root), work_dir) == 0
    return logged_steps(work_dir), weights(work_dir / 'epoch_3.pth')


@pytest.mark.slow
@pytest.mark.parametrize('signum,at,during', [(signal.SIGTERM, 2, 'iteration'),
                                              (signal.SIGINT, 4, 'save')],
                         ids=['SIGTERM-mid-epoch', 'SIGINT-mid-save'])
def test_stop_signal_saves_and_the_resumed_run_continues_exactly(tmp_path, ssl4eo_root,
                                                                 straight, capfd, signum, at,
                                                                 during):
    # SIGTERM at the start of epoch 2's first iteration; SIGINT (Ctrl-C) while epoch_2.pth is
    # being written: the save completes, one more iteration runs, then the stop checkpoint
    options, work_dir = pera_options(ssl4eo_root), tmp_path / 'stopped'
    code = train_forked(PERA, options, work_dir, hooks=(SendSignal(at, signum, during),))
    assert code == 128 + signum  # 143 / 130, what a shell reports for that signal
    stopped_at = at + 1
    stop_ckpt = work_dir / f'iter_{stopped_at}.pth'
    assert (work_dir / 'last_checkpoint').read_text() == str(stop_ckpt)
    assert (work_dir / f'iter_{stopped_at}.pth.sha256').is_file()
    assert not list(work_dir.glob('.*.partial'))
    err = capfd.readouterr().err
    assert f'training stopped by {signal.Signals(signum).name} after iteration {stopped_at}; ' \
        f'checkpoint saved: {stop_ckpt}. Resume with: eossl-train {PERA} --work-dir ' \
        f'{work_dir} --resume' in err
    expected, final = straight
    resume_forked(PERA, options, work_dir, expected, stopped_at + 1)
    assert same_weights(weights(work_dir / 'epoch_3.pth'), final)
    assert not stop_ckpt.exists()  # superseded by the next epoch checkpoint, so --resume
    # never prefers it (checkpoints are ordered by the number in their name)


class KillWorker(Hook):
    """SIGKILL one DataLoader worker of this process before iteration ``at``; records which."""

    def __init__(self, at: int, record) -> None:
        self.at, self.record = at, record

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        if runner.iter == self.at:
            worker = multiprocessing.active_children()[0]
            self.record.write_text(f'{worker.pid} {time.time()}')
            os.kill(worker.pid, signal.SIGKILL)


@pytest.mark.slow
def test_a_killed_dataloader_worker_fails_fast_naming_it_and_the_run_resumes_exactly(
        tmp_path, ssl4eo_root, capfd):
    options = {**pera_options(ssl4eo_root), 'train_dataloader.num_workers': 2}
    assert train_forked(PERA, options, tmp_path / 'straight') == 0
    expected = logged_steps(tmp_path / 'straight')
    work_dir, record = tmp_path / 'killed', tmp_path / 'killed_worker'
    # killed before the first iteration of epoch 2 (iterations 2-3): the epoch's loader is still
    # alive when the worker's SIGCHLD arrives (at its last iteration the loader may be gone)
    assert train_forked(PERA, options, work_dir, hooks=(KillWorker(2, record),)) == 1
    failed_at = time.time()
    pid, killed_at = record.read_text().split()
    assert failed_at - float(killed_at) < 30  # torch's SIGCHLD watch, not a hang
    err = capfd.readouterr().err
    assert f'DataLoader worker (pid {pid}) is killed by signal: Killed' in err or \
        f'DataLoader worker (pid(s) {pid}) exited unexpectedly' in err
    assert f'the last checkpoint is {work_dir / "epoch_1.pth"}. After fixing the cause, ' \
        f'resume with: eossl-train {PERA} --work-dir {work_dir} --resume' in err
    resume_forked(PERA, options, work_dir, expected, 3)
    assert same_weights(weights(work_dir / 'epoch_3.pth'),
                        weights(tmp_path / 'straight' / 'epoch_3.pth'))


def _hold_lock(work_dir: str, ready, release) -> None:
    WorkDirLock(work_dir).acquire()
    ready.set()
    release.wait(60)


def test_a_second_run_on_a_work_dir_refuses_naming_the_first_and_a_dead_one_does_not_block(
        tmp_path, ssl4eo_root):
    context = multiprocessing.get_context('fork')
    ready, release = context.Event(), context.Event()
    first = context.Process(target=_hold_lock, args=(str(tmp_path), ready, release))
    first.start()
    try:
        assert ready.wait(30)
        # the second run, through eossl-train itself: refused before the runner is built
        from eossl.cli.train import main
        with pytest.raises(WorkDirLockedError, match=(
                rf'work dir {tmp_path} is in use by another training run \(pid {first.pid} on '
                rf'host {socket.gethostname()}, started .*\); two runs would overwrite')):
            main([PERA, '--work-dir', str(tmp_path), '--cfg-options',
                  f'train_dataloader.dataset.data_root={ssl4eo_root}'])
        assert not [p for p in tmp_path.iterdir() if p.name != LOCK_NAME]  # nothing written
    finally:
        os.kill(first.pid, signal.SIGKILL)  # dies holding the lock: a stale lock file
        first.join()
    lock = WorkDirLock(str(tmp_path)).acquire()  # the kernel released the dead run's lock
    assert lock.previous['pid'] == first.pid
    lock.release()


def test_a_signal_after_training_failed_goes_to_the_previous_handler():
    class Runner:
        def train(self, signals):
            os.kill(os.getpid(), signal.SIGINT)  # during train(): recorded, not raised
            assert signals.received() == 'SIGINT'

    # Python's own Ctrl-C handler as the previous one, whatever earlier tests in this worker left
    found = signal.signal(signal.SIGINT, signal.default_int_handler)
    runner, signals = Runner(), StopSignals(('SIGINT', 'SIGTERM'))
    assert signals.install(runner)
    try:
        runner.train(signals)
        signals.signame = None  # training "failed" here: the hook never restored them
        with pytest.raises(KeyboardInterrupt):  # Python's own Ctrl-C again
            os.kill(os.getpid(), signal.SIGINT)
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        signals.restore()
        signal.signal(signal.SIGINT, found)


FORK_AFTER_FAILED_TRAINING = """
import multiprocessing, os, signal, sys, tempfile, time
from eossl.cli.launch.stop_signals import StopSignals

class Runner:
    def train(self):
        raise RuntimeError('training failed')  # the hook that restores the handlers never runs

def busy(path):
    open(path, 'w').close()
    time.sleep(600)

runner, signals = Runner(), StopSignals(('SIGTERM', 'SIGINT'))
assert signals.install(runner)
try:
    runner.train()
except RuntimeError:
    pass
folder = tempfile.mkdtemp()
paths = [os.path.join(folder, str(i)) for i in range(2)]
pool = multiprocessing.get_context('fork').Pool(2)  # as eossl-pack-shards does
pool.map_async(busy, paths, chunksize=1)
while not all(map(os.path.exists, paths)):  # both workers inside a task
    time.sleep(0.05)
pool.terminate()  # SIGTERM to each worker: it waited for the tasks when workers ignored it
print('terminated', flush=True)
"""


def test_a_pool_forked_after_a_failed_training_still_terminates():
    # a fresh interpreter: the handlers it finds are Python's own, not those the suite left
    import subprocess
    import sys
    done = subprocess.run([sys.executable, '-c', FORK_AFTER_FAILED_TRAINING], timeout=120,
                          capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.strip() == 'terminated', done.stderr


class TerminalGroup(Hook):
    """Put the run in its own process group (as a shell job is, its DataLoader workers join
    it), and before iteration ``at`` tell the test, then keep the iteration busy a moment."""

    def __init__(self, at: int, marker) -> None:
        self.at, self.marker = at, marker

    def before_train(self, runner) -> None:
        os.setpgrp()

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        if runner.iter == self.at:
            self.marker.write_text(str(os.getpid()))
            time.sleep(3)  # Ctrl-C arrives now, in the middle of the iteration


@pytest.mark.slow
def test_ctrl_c_to_the_whole_job_with_dataloader_workers_saves_and_stops_cleanly(
        tmp_path, ssl4eo_root, capfd):
    from .forked_training import _train
    options = {**pera_options(ssl4eo_root), 'train_dataloader.num_workers': 2}
    marker, work_dir = tmp_path / 'at_iteration', tmp_path / 'run'
    child = multiprocessing.get_context('fork').Process(
        target=_train, args=(PERA, options, str(work_dir), None, None,
                             (TerminalGroup(2, marker),)))
    child.start()
    deadline = time.time() + 240
    while not marker.exists() and child.is_alive() and time.time() < deadline:
        time.sleep(0.1)
    os.killpg(int(marker.read_text()), signal.SIGINT)  # what a terminal's Ctrl-C does
    child.join(240)
    assert child.exitcode == 130  # the workers ignored it; the main process saved and stopped
    assert (work_dir / 'last_checkpoint').read_text() == str(work_dir / 'iter_3.pth')
    assert 'Resume with: eossl-train' in capfd.readouterr().err
    assert train_forked(PERA, options, work_dir, resume='auto') == 0
    assert sorted(logged_steps(work_dir))[-1] == 6 and not (work_dir / 'iter_3.pth').exists()
