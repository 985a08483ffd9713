"""BandCheckHook: a backbone built for other bands than the data's stops the run at its first
forward with both band lists and the config keys, not with F.conv2d's channel error."""
import pytest
from mmengine.config import Config
from mmengine.runner import Runner

from eossl.engine.hooks import BandMismatchError
from eossl.engine.hooks.band_check_hook import pipeline_bands

from ..test_tools.training_runs import REPO_ROOT

DEMO = REPO_ROOT / 'configs/dual_simclr/dual_simclr_rn18_s1s2_demo_bigearthnet.py'
L1C = ('B1', 'B2', 'B3', 'B4', 'B5', 'B6', 'B7', 'B8', 'B8A', 'B9', 'B10', 'B11', 'B12')


def _demo(tmp_path, data_root, **options) -> Runner:
    cfg = Config.fromfile(DEMO)
    cfg.merge_from_dict({'train_dataloader.dataset.data_root': str(data_root),
                         'train_cfg.max_epochs': 1, **options})
    cfg.work_dir, cfg.experiment_name = str(tmp_path), tmp_path.name
    return Runner.from_cfg(cfg)


def test_pipeline_bands_are_named_by_config_key():
    cfg = Config.fromfile(DEMO)
    assert pipeline_bands(cfg) == [
        ('train_dataloader.dataset.pipeline.0.modalities.s1.bands', ('VV', 'VH')),
        ('train_dataloader.dataset.pipeline.0.modalities.s2.bands', L1C[:10] + L1C[11:])]


def test_backbone_with_other_bands_than_the_data_is_named(tmp_path, bigearthnet_example):
    runner = _demo(tmp_path, bigearthnet_example, **{'model.s2_backbone.bands': L1C})
    with pytest.raises(BandMismatchError) as raised:
        runner.train()
    message = str(raised.value)
    assert message.startswith(
        'model.s2_backbone (EOResNet) takes 13 input channels (bands B1, B2, B3, B4, B5, B6, '
        'B7, B8, B8A, B9, B10, B11, B12 (13) from model.s2_backbone.bands), but the batch gives '
        'it 12 channels. Bands the data pipelines load: '
        'train_dataloader.dataset.pipeline.0.modalities.s1.bands = VV, VH (2); '
        'train_dataloader.dataset.pipeline.0.modalities.s2.bands = B1, B2, B3, B4, B5, B6, B7, '
        'B8, B8A, B9, B11, B12 (12).')
    assert runner.iter == 0  # before the first step


def test_matching_bands_train_and_the_check_unhooks_itself(tmp_path, bigearthnet_example):
    runner = _demo(tmp_path, bigearthnet_example)
    runner.train()
    assert runner.iter == 1
    stem = runner.model.s2_backbone.conv1
    assert not stem._forward_pre_hooks  # checked once, then removed
