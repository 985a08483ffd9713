"""``MAX_RESTARTS=N eossl-dist-train CONFIG GPUS``: the torchrun command it builds and the
automatic ``--resume`` of a restarted group.

The end-to-end killed-rank test is not here yet: on gloo the restarted group's
``init_process_group`` intermittently fails with "Gloo connectFullMesh failed ... Connection
refused" (torchrun's static rendezvous keeps one store across restarts), so it cannot gate CI."""
import pytest

from eossl.cli.dist_train import resume_after_restart, torchrun_command


def test_torchrun_command_reads_the_dist_train_sh_variables():
    env = dict(NNODES='2', NODE_RANK='1', MASTER_ADDR='10.0.0.1', PORT='1234', MAX_RESTARTS='3')
    command = torchrun_command('c.py', '4', ['--amp'], env)
    assert command[1:] == ['-m', 'torch.distributed.run', '--nnodes=2', '--node_rank=1',
                           '--master_addr=10.0.0.1', '--master_port=1234', '--nproc_per_node=4',
                           '--max-restarts=3', '-m', 'eossl.cli.train', 'c.py', '--launcher',
                           'pytorch', '--amp']
    assert '--max-restarts=0' in torchrun_command('c.py', '1', [], {})
    with pytest.raises(ValueError, match="MAX_RESTARTS='x': expected a whole number"):
        torchrun_command('c.py', '1', [], {'MAX_RESTARTS': 'x'})


def test_only_a_restarted_group_resumes_by_itself():
    assert resume_after_restart(None, {}) is None
    assert resume_after_restart(None, {'TORCHELASTIC_RESTART_COUNT': '0'}) is None
    assert resume_after_restart(None, {'TORCHELASTIC_RESTART_COUNT': '1'}) == 'auto'
    assert resume_after_restart('x.pth', {'TORCHELASTIC_RESTART_COUNT': '1'}) == 'x.pth'
