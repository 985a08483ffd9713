"""End-to-end runs of the demo recipe through ``tools/``: one process vs two, kill and resume,
YAML export. They train the real Dual-SimCLR demo on the six real BigEarthNet example pairs."""
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .training_runs import REPO_ROOT, logged_losses, run_train, train_command, train_env

DEMO = 'configs/dual_simclr/dual_simclr_rn18_s1s2_demo_bigearthnet.py'


@pytest.fixture
def demo_options(bigearthnet_example) -> list[str]:
    """Point the demo at the shared sample data and keep it short."""
    return ['--cfg-options', f'train_dataloader.dataset.data_root={bigearthnet_example}',
            'train_cfg.max_epochs=4', 'default_hooks.checkpoint.interval=2',
            'randomness.deterministic=True']


@pytest.mark.weight(34)
def test_two_processes_match_one_process_with_the_same_global_batch(tmp_path, demo_options):
    # BatchNorm statistics depend on the per-process batch, so this comparison uses GroupNorm;
    # Adam divides by the gradient's magnitude, which turns float32 summation-order noise in
    # near-zero gradients into full-size steps, so SGD. What it checks is the gathered NT-Xent,
    # DDP's gradient averaging and the rank-averaged logged loss.
    same_math = [f'model.{m}_backbone.norm_cfg.{k}' for m in ('s1', 's2')
                 for k in ('type=GN', 'num_groups=8')] + ['optim_wrapper.optimizer.type=SGD']
    run_train(DEMO, tmp_path / 'one', *demo_options, *same_math)
    run_train(DEMO, tmp_path / 'two', *demo_options, *same_math,
              'train_dataloader.batch_size=3', nproc=2)
    one, two = logged_losses(tmp_path / 'one'), logged_losses(tmp_path / 'two')
    assert sorted(one) == sorted(two) == [1, 2, 3, 4]
    assert one[4] < one[1], 'the demo loss should fall'
    for step in one:
        assert two[step] == pytest.approx(one[step], abs=1e-5), step


def _wait_for_step(work_dir, step: int, proc: subprocess.Popen, log: Path,
                   timeout: float = 600) -> None:
    """Return once ``step`` is logged; fail with the run's log if it exits or stalls first."""
    deadline = time.monotonic() + timeout
    while step not in logged_losses(work_dir):
        if proc.poll() is not None or time.monotonic() > deadline:
            state = 'stalled' if proc.returncode is None else f'exited {proc.returncode}'
            proc.kill()
            pytest.fail(f'the run {state} before step {step}:\n{log.read_text()[-6000:]}')
        time.sleep(0.2)


@pytest.mark.weight(37)
def test_kill_and_resume_continues_the_loss_curve_exactly(tmp_path, demo_options):
    run_train(DEMO, tmp_path / 'straight', *demo_options)
    straight = logged_losses(tmp_path / 'straight')

    killed_dir = tmp_path / 'killed'
    log = tmp_path / 'killed.log'
    with log.open('w') as out:
        proc = subprocess.Popen(train_command(DEMO, killed_dir, demo_options, nproc=1),
                                cwd=REPO_ROOT, env=train_env(), stdout=out,
                                stderr=subprocess.STDOUT)
        _wait_for_step(killed_dir, 3, proc, log)  # past the epoch-2 checkpoint
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    checkpoint = killed_dir / 'epoch_2.pth'
    assert checkpoint.is_file(), sorted(p.name for p in killed_dir.iterdir())
    for stale in killed_dir.glob('*/vis_data/scalars.json'):
        stale.unlink()  # keep only what the resumed run logs

    run_train(DEMO, killed_dir, '--resume', str(checkpoint), *demo_options)
    resumed = logged_losses(killed_dir)
    assert sorted(resumed) == [3, 4]
    for step in resumed:
        assert resumed[step] == straight[step], step


@pytest.mark.weight(25)
def test_yaml_export_trains_like_the_python_recipe(tmp_path, demo_options):
    exported = tmp_path / 'demo.yaml'
    subprocess.run([sys.executable, '-m', 'eossl.cli.print_config', DEMO, '--out',
                    str(exported)], cwd=REPO_ROOT, check=True, capture_output=True)
    short = [*demo_options, 'train_cfg.max_epochs=2']
    run_train(DEMO, tmp_path / 'py', *short)
    run_train(str(exported), tmp_path / 'yaml', *short)
    assert logged_losses(tmp_path / 'py') == logged_losses(tmp_path / 'yaml')
