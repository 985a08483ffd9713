"""DeCUR end to end: the official SSL4EO-S12 recipe under ``--preset cpu-tiny`` through
``tools/dist_train.sh`` on two CPU (gloo) processes, on generated S1 + S2 L1C locations."""
import math

import pytest

from eossl.testing.ssl4eo_s12 import make_fake_ssl4eo_s12

from .training_runs import logged_losses, run_train


@pytest.mark.weight(22)
@pytest.mark.slow
def test_dist_train_decur_recipe_with_the_cpu_tiny_preset_on_two_processes(tmp_path):
    data_root = tmp_path / 'ssl4eo'
    make_fake_ssl4eo_s12(data_root, num_locations=4, seasons=2, size=48, modalities=('s1', 's2c'))
    proc = run_train('configs/decur/decur_rn50_s1s2_100e_ssl4eo.py', tmp_path / 'work',
                     '--preset', 'cpu-tiny', '--cfg-options',
                     f'train_dataloader.dataset.data_root={data_root}', nproc=2)
    assert 'ResNet-18s of base width 8' in proc.stdout
    losses = logged_losses(tmp_path / 'work')
    assert sorted(losses) == [1, 2], losses  # 4 locations / (2 ranks x 2) = 1 step per epoch
    assert all(math.isfinite(v) for v in losses.values())
    assert (tmp_path / 'work' / 'epoch_2.pth').is_file()
