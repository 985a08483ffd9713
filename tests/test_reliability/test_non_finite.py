"""A non-finite value in a float band mid-run, and a diverging learning rate: the run stops at
the first non-finite loss naming the iteration and the batch's samples, the last checkpoint
holds the last good weights, and eossl-train says how to resume."""
import re

import pytest
import torch
from mmengine.hooks import Hook

from eossl.checkpoints.integrity import integrity_problem
from eossl.testing import make_fake_ssl4eo_s12

from .forked_training import train_forked
from .tiny_recipes import PERA, pera_options


@pytest.fixture(scope='module')
def ssl4eo_root(tmp_path_factory):
    root = tmp_path_factory.mktemp('ssl4eo')
    make_fake_ssl4eo_s12(root, num_locations=4, seasons=2, size=48, modalities=('s2c',))
    return root


class InfInBand(Hook):
    """Before iteration ``at`` (0-based) put +inf into band 3 of every float input, as a float
    band with an overflowed value would arrive after the loader."""

    priority = 'LOWEST'

    def __init__(self, at: int) -> None:
        self.at = at

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        if runner.iter == self.at:
            inputs = data_batch['inputs']
            for tensor in inputs if isinstance(inputs, (list, tuple)) else [inputs]:
                tensor[..., 3, :4, :4] = float('inf')


def stopped_run(work_dir, options, hooks, capfd) -> str:
    assert train_forked(PERA, options, work_dir, hooks=hooks) == 1
    return capfd.readouterr().err


@pytest.mark.slow
def test_inf_in_a_band_stops_at_that_iteration_naming_samples_and_keeps_the_last_checkpoint(
        tmp_path, ssl4eo_root, capfd):
    options = pera_options(ssl4eo_root)
    err = stopped_run(tmp_path, options, (InfInBand(3),), capfd)
    ids = re.search(r'non-finite loss at iteration 4 \(epoch 2\): loss=nan.*; sample ids of the '
                    r'batch on rank 0: \[(\S+), (\S+)\]\. Training stopped; the last checkpoint '
                    rf'is {tmp_path}/epoch_1\.pth\.', err)
    assert ids, err[-2000:]
    assert (tmp_path / 'last_checkpoint').read_text() == str(tmp_path / 'epoch_1.pth')
    assert not (tmp_path / 'epoch_2.pth').exists()
    assert integrity_problem(str(tmp_path / 'epoch_1.pth')) is None
    weights = torch.load(tmp_path / 'epoch_1.pth', map_location='cpu')['state_dict']
    assert all(torch.isfinite(w).all() for w in weights.values() if w.is_floating_point())
    assert f'resume with: eossl-train {PERA} --work-dir {tmp_path} --resume' in err
    assert train_forked(PERA, options, tmp_path, resume='auto') == 0  # the data fixed


@pytest.mark.slow
def test_a_diverging_learning_rate_stops_at_the_first_non_finite_loss(tmp_path, ssl4eo_root,
                                                                      capfd):
    options = {**pera_options(ssl4eo_root), 'optim_wrapper.optimizer.lr': 1e30,
               'optim_wrapper.clip_grad': None}
    err = stopped_run(tmp_path, options, (), capfd)
    found = re.search(r'non-finite loss at iteration (\d+) \(epoch (\d+)\): .*sample ids of the '
                      r'batch on rank 0: \[\S+, \S+\]\. Training stopped; the last checkpoint '
                      r'is (.+?)\. Look for invalid pixels', err)
    assert found, err[-2000:]
    iteration, last = int(found.group(1)), found.group(3)
    saved = sorted(tmp_path.glob('epoch_*.pth'))
    assert len(saved) == (iteration - 1) // 2  # every epoch finished before it, none after
    assert last == (str(saved[-1]) if saved else 'none saved yet')
    assert all(integrity_problem(str(path)) is None for path in saved)
