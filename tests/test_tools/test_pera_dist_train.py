"""The headline usage, ``tools/dist_train.sh configs/pera_vits.py N``, on CPU (gloo) at a tiny
size: two processes train PerA end to end on generated SSL4EO-S12 data."""
import math

import pytest

from eossl.testing.ssl4eo_s12 import make_fake_ssl4eo_s12

from .training_runs import logged_losses, run_train

TINY = [
    'train_dataloader.batch_size=2', 'train_dataloader.num_workers=0',
    'train_dataloader.persistent_workers=False', 'train_dataloader.pin_memory=False',
    'train_dataloader.dataset.pipeline.0.target_size=64',
    'train_dataloader.dataset.pipeline.1.num_local=2',
    'train_dataloader.dataset.pipeline.1.global_crop.size=64',
    'train_dataloader.dataset.pipeline.1.local_crop.size=32',
    'model.num_local=2', 'model.head.num_prototypes=1024',
    'train_cfg.max_epochs=2', 'default_hooks.logger.interval=1',
]


@pytest.mark.weight(25)
def test_dist_train_pera_vits_on_two_cpu_processes(tmp_path):
    data_root = tmp_path / 'ssl4eo'
    make_fake_ssl4eo_s12(data_root, num_locations=4, size=66)
    run_train('configs/pera_vits.py', tmp_path / 'work', '--cfg-options',
              f'train_dataloader.dataset.data_root={data_root}', *TINY, nproc=2)
    losses = logged_losses(tmp_path / 'work')
    assert sorted(losses) == [1, 2], losses  # 4 locations / (2 ranks x 2) = 1 step per epoch
    assert all(math.isfinite(v) for v in losses.values())
    assert (tmp_path / 'work' / 'epoch_2.pth').is_file()
