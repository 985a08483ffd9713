"""``MAX_RESTARTS=1 eossl-dist-train CONFIG 2``: rank 1 dies in the middle of epoch 2, torchrun
restarts both processes, they resume from the epoch-1 checkpoint by themselves, and the final
weights equal those of an uninterrupted two-process run (CPU, gloo, the real Dual-SimCLR demo
on the six BigEarthNet example pairs, three iterations per epoch).

A restarted group gets a fresh rendezvous store (see eossl/cli/dist_train.py): with torchrun's
default static rendezvous the restarted gloo group connected to the dead one's addresses."""
import subprocess
import sys

import pytest
import torch

from eossl.cli.dist_train import resume_after_restart, torchrun_command

from .training_runs import REPO_ROOT, train_env

DEMO = REPO_ROOT / 'configs/dual_simclr/dual_simclr_rn18_s1s2_demo_bigearthnet.py'


def test_torchrun_command_reads_the_dist_train_sh_variables():
    env = dict(NNODES='2', NODE_RANK='1', MASTER_ADDR='10.0.0.1', PORT='1234')
    command = torchrun_command('c.py', '4', ['--amp'], env)
    assert command[1:] == ['-m', 'torch.distributed.run', '--nnodes=2', '--node_rank=1',
                           '--master_addr=10.0.0.1', '--master_port=1234', '--nproc_per_node=4',
                           '--max-restarts=0', '-m', 'eossl.cli.train', 'c.py', '--launcher',
                           'pytorch', '--amp']
    assert '--max-restarts=0' in torchrun_command('c.py', '1', [], {})
    with pytest.raises(ValueError, match="MAX_RESTARTS='x': expected a whole number"):
        torchrun_command('c.py', '1', [], {'MAX_RESTARTS': 'x'})


def test_restartable_groups_meet_through_the_c10d_rendezvous():
    env = dict(NNODES='2', NODE_RANK='1', MASTER_ADDR='10.0.0.1', PORT='1234', MAX_RESTARTS='3')
    assert torchrun_command('c.py', '4', [], env)[3:8] == [
        '--nnodes=2', '--rdzv-backend=c10d', '--rdzv-endpoint=10.0.0.1:1234', '--rdzv-id=eossl',
        '--nproc_per_node=4']
    assert '--rdzv-id=job7' in torchrun_command('c.py', '4', [], dict(env, RDZV_ID='job7'))


def test_only_a_restarted_group_resumes_by_itself():
    assert resume_after_restart(None, {}) is None
    assert resume_after_restart(None, {'TORCHELASTIC_RESTART_COUNT': '0'}) is None
    assert resume_after_restart(None, {'TORCHELASTIC_RESTART_COUNT': '1'}) == 'auto'
    assert resume_after_restart('x.pth', {'TORCHELASTIC_RESTART_COUNT': '1'}) == 'x.pth'


def _recipe(tmp_path, marker) -> str:
    recipe = tmp_path / 'demo_with_fault.py'
    recipe.write_text(
        f"_base_ = [{str(DEMO)!r}]\n"
        "custom_imports = dict(imports=['tests.test_tools.fault_hooks'], "
        "allow_failed_imports=False)\n"
        f"custom_hooks = [dict(type='ExitOnceAt', rank=1, iteration=4, marker={str(marker)!r})]\n")
    return str(recipe)


def _dist_train(recipe: str, work_dir, data_root, restarts: int) -> subprocess.CompletedProcess:
    options = ['--work-dir', str(work_dir), '--cfg-options',
               f'train_dataloader.dataset.data_root={data_root}', 'train_dataloader.batch_size=1',
               'train_cfg.max_epochs=2', 'default_hooks.checkpoint.interval=1',
               'randomness.deterministic=True']
    env = dict(train_env(), MAX_RESTARTS=str(restarts),
               PYTHONPATH=f'{REPO_ROOT}:{train_env().get("PYTHONPATH", "")}')
    proc = subprocess.run([sys.executable, '-m', 'eossl.cli.dist_train', recipe, '2', *options],
                          cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f'{proc.stdout[-3000:]}\n{proc.stderr[-6000:]}'
    return proc


@pytest.mark.weight(50)
@pytest.mark.slow
def test_a_killed_rank_is_restarted_and_resumes_to_the_same_weights(tmp_path,
                                                                   bigearthnet_example):
    straight_marker = tmp_path / 'no_fault'
    straight_marker.write_text('the fault already happened')  # same hooks, no exit
    _dist_train(_recipe(tmp_path, straight_marker), tmp_path / 'straight', bigearthnet_example, 0)

    marker = tmp_path / 'fault'
    proc = _dist_train(_recipe(tmp_path, marker), tmp_path / 'restarted', bigearthnet_example, 1)
    assert marker.is_file(), 'rank 1 never exited'
    runs = sorted((tmp_path / 'restarted').glob('*/vis_data/scalars.json'))
    assert len(runs) == 2  # the first attempt and the restarted one
    resumed_steps = [line for line in runs[1].read_text().splitlines()]
    assert '"step": 4' in resumed_steps[0], 'the restart should replay epoch 2 from epoch_1.pth'
    assert 'Resumed' in proc.stdout + proc.stderr or 'resumed' in proc.stdout + proc.stderr

    def weights(name):
        return torch.load(tmp_path / name / 'epoch_2.pth', weights_only=True)['state_dict']
    straight, restarted = weights('straight'), weights('restarted')
    assert straight.keys() == restarted.keys()
    for key in straight:
        assert torch.equal(straight[key], restarted[key]), key
