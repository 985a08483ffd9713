"""Corrupt files under training: with ``skip_invalid=True`` (the SSL4EO recipes' setting) the
run trains to the end and reports how many samples it skipped and which; without it the first
corrupt file stops training at once, named in the error."""
import pytest
from mmengine.config import Config
from mmengine.runner import Runner

from eossl.cli.launch.runner_config import merge_cli_args
from eossl.datasets.errors import InvalidSampleError
from eossl.testing import make_fake_ssl4eo_s12

from ..test_tools.training_runs import REPO_ROOT
from .tiny_recipes import PERA, pera_options


@pytest.fixture(scope='module')
def damaged_ssl4eo(tmp_path_factory) -> tuple:
    """Six locations; one has a truncated band file, one a band file that is not a GeoTIFF."""
    root = tmp_path_factory.mktemp('ssl4eo')
    fake = make_fake_ssl4eo_s12(root, num_locations=6, seasons=1, size=48, modalities=('s2c',))
    seasons = fake['seasons']['s2c']
    truncated_loc, garbage_loc = fake['locations'][1], fake['locations'][4]
    truncated = root / 's2c' / truncated_loc / seasons[truncated_loc][0] / 'B4.tif'
    truncated.write_bytes(truncated.read_bytes()[:truncated.stat().st_size // 2])
    garbage = root / 's2c' / garbage_loc / seasons[garbage_loc][0] / 'B11.tif'
    garbage.write_bytes(b'this is not a GeoTIFF' * 10)
    return root, {truncated_loc: truncated, garbage_loc: garbage}


def _runner(root, work_dir, skip_invalid: bool) -> Runner:
    options = {**pera_options(root), 'train_cfg.max_epochs': 2,
               'train_dataloader.dataset.skip_invalid': skip_invalid}
    cfg = merge_cli_args(Config.fromfile(REPO_ROOT / PERA), config_path=PERA,
                         work_dir=str(work_dir), cfg_options=options)
    cfg.experiment_name = f'corrupt-{work_dir.name}'
    return Runner.from_cfg(cfg)


def test_skip_invalid_trains_to_the_end_and_reports_the_corrupt_samples(tmp_path,
                                                                        damaged_ssl4eo):
    root, damaged = damaged_ssl4eo
    runner = _runner(root, tmp_path / 'skip', skip_invalid=True)
    runner.train()
    assert runner.iter == 6  # 2 epochs of 3 batches: corrupt draws were replaced
    invalid = runner.train_dataloader.dataset.invalid_samples
    assert sorted(invalid) == sorted(damaged)
    for location, path in damaged.items():
        assert str(path) in invalid[location]
    log = next((tmp_path / 'skip').glob('*/*.log')).read_text()
    for location in damaged:
        assert f'skipping invalid sample {location}' in log
    assert '(2 invalid so far)' in log


def test_without_skip_invalid_the_first_corrupt_file_stops_training(tmp_path, damaged_ssl4eo):
    root, damaged = damaged_ssl4eo
    runner = _runner(root, tmp_path / 'strict', skip_invalid=False)
    with pytest.raises(InvalidSampleError) as error:
        runner.train()
    assert any(str(path) in str(error.value) for path in damaged.values())
    assert runner.epoch == 0 and runner.iter < 3  # within the first epoch
