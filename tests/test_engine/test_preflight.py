"""A dataset smaller than one batch with drop_last stops before training, naming the dataset
size, the batch size and drop_last (mmengine alone says "`epoch_length` ... got 0")."""
import pytest
from mmengine.config import Config

from eossl.cli import train
from eossl.cli.launch.preflight import check_train_batches
from eossl.cli.launch.runner_config import build_runner

DEMO = 'configs/dual_simclr/dual_simclr_rn18_s1s2_demo_bigearthnet.py'


def demo_runner(tmp_path, data_root, **loader):
    cfg = Config.fromfile(DEMO)
    cfg.train_dataloader.dataset.data_root = str(data_root)
    cfg.train_dataloader.update(loader)
    cfg.work_dir = str(tmp_path)
    return build_runner(cfg)


def test_too_small_dataset_is_named_with_batch_and_drop_last(tmp_path, bigearthnet_example,
                                                             monkeypatch, repo_root):
    monkeypatch.chdir(repo_root)
    runner = demo_runner(tmp_path, bigearthnet_example, batch_size=8, drop_last=True)
    with pytest.raises(ValueError, match=r'6 samples, fewer than one batch of 8 per process '
                       r'with drop_last=True.*batch_size to at most 6.*drop_last=False'):
        check_train_batches(runner)
    check_train_batches(demo_runner(tmp_path, bigearthnet_example, batch_size=8,
                                    drop_last=False))


def test_train_command_stops_before_mmengine(tmp_path, bigearthnet_example, repo_root):
    with pytest.raises(ValueError, match='fewer than one batch'):
        train.main([str(repo_root / DEMO), '--work-dir', str(tmp_path), '--cfg-options',
                    f'train_dataloader.dataset.data_root={bigearthnet_example}',
                    'train_dataloader.batch_size=7', 'train_dataloader.drop_last=True'])
