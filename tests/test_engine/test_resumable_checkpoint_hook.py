"""ResumableCheckpointHook: a process killed while writing a checkpoint leaves the previous
checkpoint and ``last_checkpoint`` complete; saved generator states restore exactly.

The interruption is real: the kernel kills the training process (SIGXFSZ) when the checkpoint
write crosses a file-size limit. In the same scenario mmengine's own CheckpointHook leaves a
truncated ``epoch_2.pth``, has already deleted ``epoch_1.pth`` (``max_keep_ckpts=1``) and
keeps ``last_checkpoint`` pointing at the deleted file, so ``--resume`` cannot continue.
"""
import random
import resource
import signal

import numpy as np
import torch
import torch.multiprocessing as mp
from mmengine.hooks import Hook
from mmengine.model import BaseModel
from mmengine.runner import Runner
from torch import nn

from eossl.checkpoints.random_states import capture_random_states, restore_random_states

LIMIT = 1 << 20  # bytes: a checkpoint of the model below is ~12 MiB, logs stay far below


class _Wide(BaseModel):
    """A 1000×1000 linear layer: 4 MB of weights, 12 MB of checkpoint with Adam's moments."""

    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(1000, 1000)

    def forward(self, inputs: torch.Tensor, data_samples=None, mode: str = 'loss') -> dict:
        return {'loss': self.linear(inputs).pow(2).mean()}


class _LimitFileSize(Hook):
    """Before the checkpoint of epoch ``epoch`` (1-based), cap file writes at ``LIMIT`` bytes:
    the kernel then kills the process with SIGXFSZ in the middle of ``torch.save``'s write."""

    priority = 'NORMAL'  # runs before the checkpoint hook (VERY_LOW)

    def __init__(self, epoch: int) -> None:
        self.epoch = epoch

    def after_train_epoch(self, runner) -> None:
        if runner.epoch + 1 == self.epoch:
            signal.signal(signal.SIGXFSZ, signal.SIG_DFL)  # Python ignores it by default
            resource.setrlimit(resource.RLIMIT_FSIZE, (LIMIT, resource.RLIM_INFINITY))


def _runner(work_dir, max_epochs: int, hooks: tuple = (), **kwargs) -> Runner:
    runner = Runner(
        model=_Wide(), work_dir=str(work_dir), default_scope='eossl',
        experiment_name=f'{work_dir.name}-{max_epochs}',
        train_dataloader=dict(dataset=[{'inputs': torch.full((1000,), i / 4)} for i in range(4)],
                              batch_size=2, sampler=dict(type='DefaultSampler', shuffle=False),
                              collate_fn=dict(type='default_collate')),
        optim_wrapper=dict(optimizer=dict(type='Adam', lr=1e-3)),
        train_cfg=dict(by_epoch=True, max_epochs=max_epochs),
        default_hooks=dict(checkpoint=dict(type='ResumableCheckpointHook', interval=1,
                                           max_keep_ckpts=1)),
        log_level='WARNING', **kwargs)
    for hook in hooks:
        runner.register_hook(hook)
    return runner


def _train_until_killed_while_saving(work_dir) -> None:
    torch.set_num_threads(1)
    _runner(work_dir, max_epochs=3, hooks=(_LimitFileSize(epoch=2),)).train()


def test_kill_during_torch_save_keeps_the_previous_checkpoint_and_pointer(tmp_path):
    work_dir = tmp_path / 'work'
    child = mp.get_context('fork').Process(target=_train_until_killed_while_saving,
                                           args=(work_dir,))
    child.start()
    child.join(timeout=120)
    assert child.exitcode == -signal.SIGXFSZ  # killed by the kernel inside the write
    partial = work_dir / '.epoch_2.pth.partial'
    assert partial.stat().st_size == LIMIT  # the epoch-2 checkpoint was cut mid-write...
    assert not (work_dir / 'epoch_2.pth').exists()  # ...and never took the final name
    # max_keep_ckpts=1: mmengine deletes the old checkpoint before writing the new one
    assert (work_dir / 'last_checkpoint').read_text() == str(work_dir / 'epoch_1.pth')
    checkpoint = torch.load(work_dir / 'epoch_1.pth', map_location='cpu')
    assert checkpoint['meta']['epoch'] == 1 and 'linear.weight' in checkpoint['state_dict']

    resumed = _runner(work_dir, max_epochs=3, resume=True)
    resumed.train()  # --resume (auto) follows last_checkpoint
    assert resumed.epoch == 3 and not partial.exists()
    assert sorted(p.name for p in work_dir.glob('*.pth')) == ['epoch_3.pth']
    assert (work_dir / 'last_checkpoint').read_text() == str(work_dir / 'epoch_3.pth')
    assert torch.serialization.get_unsafe_globals_in_checkpoint(work_dir / 'epoch_3.pth') == []


def test_random_states_round_trip():
    random.seed(1), np.random.seed(1), torch.manual_seed(1)
    states = capture_random_states()
    first = (random.random(), np.random.rand(3).tolist(), torch.rand(3).tolist(),
             np.random.randn())  # randn leaves numpy's cached second gaussian behind
    restore_random_states(states)
    assert (random.random(), np.random.rand(3).tolist(), torch.rand(3).tolist(),
            np.random.randn()) == first
    assert np.random.get_state()[3] == 1  # cached gaussian state travels too


class _FirstDraw(Hook):
    """Record a torch draw right before the first iteration after (re)starting."""

    def __init__(self) -> None:
        self.draw = None

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        if self.draw is None:
            self.draw = torch.rand(4)


def test_states_are_restored_on_resume_only(tmp_path):
    _runner(tmp_path / 'first', max_epochs=1, randomness=dict(seed=3)).train()
    checkpoint = tmp_path / 'first' / 'epoch_1.pth'
    draws = {}
    for name, kwargs in (('fresh', {}), ('load_from', dict(load_from=str(checkpoint))),
                         ('resume', dict(load_from=str(checkpoint), resume=True))):
        probe = _FirstDraw()
        _runner(tmp_path / name, max_epochs=2, hooks=(probe,), randomness=dict(seed=3),
                **kwargs).train()
        draws[name] = probe.draw
    # initializing from weights starts the random streams afresh; resuming continues them
    assert torch.equal(draws['load_from'], draws['fresh'])
    assert not torch.equal(draws['resume'], draws['fresh'])
