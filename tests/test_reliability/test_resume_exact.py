"""kill -9 during an epoch, then ``--resume``: the resumed run logs exactly the uninterrupted
run's values, for the teacher–student family (PerA) and the masked-autoencoder family (MP-MAE).
The contrastive family (Dual-SimCLR) is covered through ``tools/train.py`` in
tests/test_tools/test_train_demo.py.

Both recipes draw random numbers the Runner does not checkpoint: PerA's crops, flips, jitter
and season choice (numpy, in the main process with ``num_workers=0``) and drop-path (torch);
MP-MAE's masks (torch). Only :class:`ResumableCheckpointHook`'s saved generator states make
the resumed run draw the same ones, which the last test shows by switching their restore off.
"""
import math
import signal

import pytest
import torch

from eossl.testing import make_fake_mmearth, make_fake_ssl4eo_s12

from .forked_training import logged_steps, train_forked
from .tiny_recipes import MPMAE, PERA, mpmae_options, pera_options


@pytest.fixture(scope='module')
def ssl4eo_root(tmp_path_factory):
    root = tmp_path_factory.mktemp('ssl4eo')
    make_fake_ssl4eo_s12(root, num_locations=4, seasons=2, size=48, modalities=('s2c',))
    return root


@pytest.fixture(scope='module')
def mmearth_root(tmp_path_factory):
    # 6 samples, 4 in the train split: two iterations per epoch at batch 2
    return make_fake_mmearth(tmp_path_factory.mktemp('mmearth'), num_samples=6, size=32)


def kill_and_resume(recipe: str, options: dict, work_dir, restore: bool = True) -> dict:
    """Train, SIGKILL before iteration 6 of 6 (mid-epoch 3), ``--resume``; the resumed steps."""
    assert train_forked(recipe, options, work_dir, kill_at=5) == -signal.SIGKILL
    assert (work_dir / 'last_checkpoint').read_text().endswith('epoch_2.pth')
    for stale in work_dir.glob('*/vis_data/scalars.json'):
        stale.unlink()  # keep only what the resumed run logs
    resumed_options = {**options, 'default_hooks.checkpoint.restore_random_states': restore}
    assert train_forked(recipe, resumed_options, work_dir, resume='auto') == 0
    return logged_steps(work_dir)


def straight_run(recipe: str, options: dict, work_dir) -> dict:
    """The uninterrupted run's logged steps."""
    assert train_forked(recipe, options, work_dir) == 0
    return logged_steps(work_dir)


def final_weights(work_dir) -> dict[str, torch.Tensor]:
    return torch.load(work_dir / 'epoch_3.pth', map_location='cpu')['state_dict']


@pytest.fixture(scope='module')
def mpmae_straight(tmp_path_factory, mmearth_root):
    work_dir = tmp_path_factory.mktemp('mpmae_straight')
    return straight_run(MPMAE, mpmae_options(mmearth_root), work_dir), final_weights(work_dir)


# FlexibleRunner (every FSDP recipe) loads a resumed checkpoint before the before_run hooks,
# Runner after them: schedules must not depend on which comes first
RUNNERS = {'Runner': {}, 'FlexibleRunner': {'runner_type': 'FlexibleRunner',
                                            'strategy': dict(type='SingleDeviceStrategy')}}


@pytest.mark.parametrize('runner', sorted(RUNNERS))
def test_pera_resumes_teacher_center_schedules_and_losses_exactly(tmp_path, ssl4eo_root,
                                                                  runner):
    # paramwise groups: no decay on norms, half on biases; each must keep its own schedule
    options = {**pera_options(ssl4eo_root), **RUNNERS[runner],
               'optim_wrapper.paramwise_cfg': dict(norm_decay_mult=0.0, bias_decay_mult=0.5)}
    straight = straight_run(PERA, options, tmp_path / 'straight')
    resumed = kill_and_resume(PERA, options, tmp_path / 'killed')
    assert sorted(straight) == list(range(1, 7)) and sorted(resumed) == [5, 6]
    logged = {'loss', 'loss_dino', 'loss_koleo', 'loss_pixel', 'teacher_temp',
              'teacher_momentum', 'weight_decay', 'lr'}
    assert logged <= set(straight[6])
    for step in (5, 6):
        assert resumed[step] == straight[step], step  # bit-identical, every logged value
    assert straight[1]['teacher_temp'] < straight[6]['teacher_temp'] == 0.05  # warm-up done
    # the weight decay follows the official cosine 0.04 → 0.2 over the 6 iterations
    expected = [0.2 - 0.16 * (1 + math.cos(math.pi * k / 6)) / 2 for k in range(6)]
    assert [straight[k]['weight_decay'] for k in range(1, 7)] == pytest.approx(expected)
    groups = [torch.load(tmp_path / run / 'epoch_3.pth', map_location='cpu')['optimizer'][
        'param_groups'] for run in ('straight', 'killed')]
    decays = [sorted({round(g['weight_decay'], 12) for g in run}) for run in groups]
    assert decays[0] == decays[1] == pytest.approx([0.0, expected[-1] / 2, expected[-1]])
    a, b = final_weights(tmp_path / 'straight'), final_weights(tmp_path / 'killed')
    assert a.keys() == b.keys()
    assert any(k.startswith('teacher.') for k in a) and 'head.loss_module.center' in a
    for key in a:  # student, EMA teacher and the centering buffer
        assert torch.equal(a[key], b[key]), key


def test_mpmae_resumes_masks_and_losses_exactly(tmp_path, mpmae_straight, mmearth_root):
    straight, weights = mpmae_straight
    resumed = kill_and_resume(MPMAE, mpmae_options(mmearth_root), tmp_path)
    assert {'loss', 'sentinel2_err', 'sentinel2_logvar'} <= set(straight[6])
    assert sorted(resumed) == [5, 6]
    assert all(resumed[step] == straight[step] for step in (5, 6))
    resumed_weights = final_weights(tmp_path)
    assert all(torch.equal(weights[key], resumed_weights[key]) for key in weights)


def test_without_the_saved_random_states_mpmae_resumes_inexactly(tmp_path, mpmae_straight,
                                                                 mmearth_root):
    # the control: the same kill and resume, generators not restored -> other masks
    straight, _ = mpmae_straight
    resumed = kill_and_resume(MPMAE, mpmae_options(mmearth_root), tmp_path, restore=False)
    assert resumed[6]['loss'] != straight[6]['loss']
