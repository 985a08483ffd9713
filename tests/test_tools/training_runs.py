"""Run ``tools/train.py`` / ``tools/dist_train.sh`` in a subprocess and read back its losses."""
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A TCP port nobody listens on right now (for torchrun's rendezvous)."""
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def train_command(config: str, work_dir: Path, options: list[str], nproc: int) -> list[str]:
    """The command line a user would type for ``nproc`` processes."""
    if nproc == 1:
        return [sys.executable, str(REPO_ROOT / 'tools' / 'train.py'), config,
                '--work-dir', str(work_dir), *options]
    return ['bash', str(REPO_ROOT / 'tools' / 'dist_train.sh'), config, str(nproc),
            '--work-dir', str(work_dir), *options]


def train_env() -> dict[str, str]:
    """The environment of every run: one thread (runs compared bit for bit must sum in the same
    order), a free rendezvous port for torchrun, and the CPU only: these tests check the CPU
    (gloo) path, the same on a laptop and on a GPU host, whatever its number of GPUs."""
    return dict(os.environ, OMP_NUM_THREADS='1', PORT=str(free_port()), CUDA_VISIBLE_DEVICES='')


def run_train(config: str, work_dir: Path, *options: str, nproc: int = 1,
              timeout: int = 600) -> subprocess.CompletedProcess:
    """Train and fail with the captured log when the run does not exit 0."""
    proc = subprocess.run(train_command(config, work_dir, list(options), nproc), cwd=REPO_ROOT,
                          env=train_env(), capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise AssertionError(f'training failed ({proc.returncode}):\n{proc.stdout[-4000:]}\n'
                             f'{proc.stderr[-6000:]}')
    return proc


def logged_losses(work_dir: Path) -> dict[int, float]:
    """``{iteration: loss}`` from every run's ``vis_data/scalars.json`` under ``work_dir``."""
    losses: dict[int, float] = {}
    for scalars in sorted(work_dir.glob('*/vis_data/scalars.json')):
        for line in scalars.read_text().splitlines():
            record = json.loads(line)
            if 'loss' in record:
                losses[record['step']] = record['loss']
    return losses
