"""Checkpoint integrity records: written with every checkpoint, verified by every load, and a
corrupt or truncated latest checkpoint makes ``--resume`` fall back to the newest intact one.

The end-to-end tests kill MP-MAE mid-epoch 3 (as tests/test_reliability/test_resume_exact.py
does), damage ``epoch_2.pth`` (cut in half, or one byte flipped), ``--resume``, and compare the
resumed run's logged values with an uninterrupted run's from epoch 2 on.
"""
import os
import signal
import warnings
from pathlib import Path

import pytest
import torch
from mmengine.model import BaseModel
from mmengine.runner import Runner
from mmengine.runner.checkpoint import CheckpointLoader
from torch import nn

from eossl.checkpoints import CorruptCheckpointError, safe_torch_load
from eossl.checkpoints.integrity import (
    CheckpointFallbackWarning,
    auto_resume_checkpoint,
    integrity_problem,
    record_path,
)
from eossl.testing import make_fake_mmearth

from .forked_training import logged_steps, resume_forked, train_forked
from .tiny_recipes import MPMAE, mpmae_options


class _Tiny(BaseModel):
    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(64, 64)

    def forward(self, inputs: torch.Tensor, data_samples=None, mode: str = 'loss') -> dict:
        return {'loss': self.linear(inputs).pow(2).mean()}


def _runner(work_dir: Path, max_epochs: int, max_keep_ckpts: int = -1, **kwargs) -> Runner:
    return Runner(
        model=_Tiny(), work_dir=str(work_dir), default_scope='eossl',
        experiment_name=f'{work_dir.parent.name}-{work_dir.name}-{max_epochs}-{len(kwargs)}',
        train_dataloader=dict(dataset=[{'inputs': torch.full((64,), i / 4)} for i in range(4)],
                              batch_size=2, sampler=dict(type='DefaultSampler', shuffle=False),
                              collate_fn=dict(type='default_collate')),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=1e-2)),
        train_cfg=dict(by_epoch=True, max_epochs=max_epochs),
        default_hooks=dict(checkpoint=dict(type='ResumableCheckpointHook', interval=1,
                                           max_keep_ckpts=max_keep_ckpts)),
        log_level='WARNING', **kwargs)


def truncate(path: Path) -> None:
    with open(path, 'r+b') as f:
        f.truncate(path.stat().st_size // 2)


def flip_byte(path: Path) -> None:
    """Overwrite one byte in the middle of the largest tensor's data (zip CRC now wrong)."""
    with open(path, 'r+b') as f:
        f.seek(path.stat().st_size // 2)
        byte = f.read(1)
        f.seek(-1, os.SEEK_CUR)
        f.write(bytes([byte[0] ^ 0xFF]))


@pytest.fixture(scope='module')
def three_epochs(tmp_path_factory) -> Path:
    work_dir = tmp_path_factory.mktemp('integrity') / 'work'
    _runner(work_dir, max_epochs=3).train()
    return work_dir


def test_each_checkpoint_gets_a_sha256sum_record(three_epochs):
    for epoch in (1, 2, 3):
        checkpoint = three_epochs / f'epoch_{epoch}.pth'
        digest, name = Path(record_path(str(checkpoint))).read_text().split()
        assert name == checkpoint.name and len(digest) == 64
        assert integrity_problem(str(checkpoint)) is None
    assert not list(three_epochs.glob('.*.partial'))


@pytest.mark.parametrize('damage, reason', [
    (truncate, r'sha256 of epoch_3\.pth is .* says .*truncated or overwritten'),
    (flip_byte, r'sha256 of epoch_3\.pth is .* says .*truncated or overwritten'),
])
def test_every_load_verifies_the_record(three_epochs, tmp_path, damage, reason):
    damaged = tmp_path / 'epoch_3.pth'
    damaged.write_bytes((three_epochs / 'epoch_3.pth').read_bytes())
    Path(record_path(str(damaged))).write_text(
        Path(record_path(str(three_epochs / 'epoch_3.pth'))).read_text())
    damage(damaged)
    for load in (safe_torch_load, CheckpointLoader.load_checkpoint):
        with pytest.raises(CorruptCheckpointError, match=rf'checkpoint .*epoch_3\.pth is '
                                                         rf'corrupt: {reason}'):
            load(str(damaged))


@pytest.mark.parametrize('damage, reason', [
    (truncate, 'not a complete zip archive'),
    (flip_byte, 'fails its CRC-32 check: bytes inside the archive were changed'),
])
def test_a_checkpoint_without_a_record_is_checked_by_its_zip_crcs(three_epochs, tmp_path,
                                                                  damage, reason):
    foreign = tmp_path / 'foreign.pth'
    foreign.write_bytes((three_epochs / 'epoch_3.pth').read_bytes())
    assert integrity_problem(str(foreign)) is None
    damage(foreign)
    with pytest.raises(CorruptCheckpointError, match=reason):
        safe_torch_load(str(foreign))


def test_auto_resume_skips_damaged_checkpoints_with_a_warning(three_epochs, tmp_path):
    work = tmp_path / 'work'
    work.mkdir()
    for item in three_epochs.iterdir():
        if item.is_file():
            (work / item.name).write_bytes(item.read_bytes())
    (work / 'last_checkpoint').write_text(str(work / 'epoch_3.pth'))
    truncate(work / 'epoch_3.pth')
    flip_byte(work / 'epoch_2.pth')
    with pytest.warns(CheckpointFallbackWarning) as caught:
        assert auto_resume_checkpoint(str(work)) == str(work / 'epoch_1.pth')
    messages = [str(w.message) for w in caught if w.category is CheckpointFallbackWarning]
    assert messages[0].startswith(f'--resume: skipping checkpoint {work / "epoch_3.pth"}: '
                                  'sha256 of epoch_3.pth is ')
    assert 'epoch_2.pth' in messages[1] and 'trying the previous checkpoint' in messages[1]

    truncate(work / 'epoch_1.pth')
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        with pytest.raises(CorruptCheckpointError, match=r'no intact checkpoint in .*Tried '
                           r'\(newest first\): .*epoch_3\.pth: .*epoch_2\.pth: .*epoch_1\.pth'):
            auto_resume_checkpoint(str(work))


def test_auto_resume_in_an_empty_work_dir_starts_fresh(tmp_path):
    assert auto_resume_checkpoint(str(tmp_path)) is None


def test_max_keep_ckpts_never_deletes_the_last_intact_checkpoint(tmp_path):
    work = tmp_path / 'work'
    _runner(work, max_epochs=1, max_keep_ckpts=1).train()
    assert sorted(p.name for p in work.glob('*.pth*')) == ['epoch_1.pth', 'epoch_1.pth.sha256']
    runner = _runner(work, max_epochs=2, max_keep_ckpts=1, resume=True)
    real_save = runner.save_checkpoint

    def save_cut_short(out_dir, filename, **kwargs):  # the write comes back short
        real_save(out_dir, filename, **kwargs)
        truncate(Path(out_dir) / filename)

    runner.save_checkpoint = save_cut_short
    runner.train()
    assert integrity_problem(str(work / 'epoch_2.pth')).startswith('it is not a complete zip')
    assert not Path(record_path(str(work / 'epoch_2.pth'))).exists()
    # max_keep_ckpts=1 would drop epoch_1, but it is the only intact one: kept, still named
    assert integrity_problem(str(work / 'epoch_1.pth')) is None
    assert (work / 'last_checkpoint').read_text() == str(work / 'epoch_1.pth')


@pytest.fixture(scope='module')
def mmearth_root(tmp_path_factory):
    return make_fake_mmearth(tmp_path_factory.mktemp('mmearth'), num_samples=6, size=32)


@pytest.fixture(scope='module')
def straight(tmp_path_factory, mmearth_root):
    work_dir = tmp_path_factory.mktemp('straight')
    assert train_forked(MPMAE, mpmae_options(mmearth_root), work_dir) == 0
    return logged_steps(work_dir), torch.load(work_dir / 'epoch_3.pth')['state_dict']


@pytest.mark.parametrize('damage', [truncate, flip_byte])
def test_resume_after_a_damaged_latest_checkpoint_continues_from_the_previous_one(
        tmp_path, mmearth_root, straight, damage):
    options = mpmae_options(mmearth_root)
    assert train_forked(MPMAE, options, tmp_path, kill_at=5) == -signal.SIGKILL
    assert (tmp_path / 'last_checkpoint').read_text().endswith('epoch_2.pth')
    damage(tmp_path / 'epoch_2.pth')
    steps, weights = straight
    resume_forked(MPMAE, options, tmp_path, steps, 3, exact=True)  # epoch 2 again, from epoch_1
    final = torch.load(tmp_path / 'epoch_3.pth')['state_dict']
    assert all(torch.equal(weights[k], final[k]) for k in weights)
