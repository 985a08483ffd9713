"""``--preset cpu-tiny`` trains DeCUR's SSL4EO-S12 recipe from nothing: ``SSL4EOS12Pairs``
writes its own fake data (``write_fake_data``), found by the preset without a table."""
import json
from pathlib import Path

import pytest

from eossl.cli import train
from eossl.datasets.ssl4eo_s12_pairs import SSL4EOS12Pairs
from eossl.engine.preset_data import generated_data_root
from eossl.registry import DATASETS


def test_cpu_tiny_trains_the_decur_ssl4eo_recipe_on_generated_data(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the recipe's data/ssl4eo-s12 does not exist here
    train.main(['eossl::decur/decur_rn50_s1s2_100e_ssl4eo.py', '--preset', 'cpu-tiny',
                '--work-dir', 'w', '--cfg-options', 'train_cfg.max_epochs=1'])
    assert (tmp_path / 'w' / 'epoch_1.pth').is_file()
    data = tmp_path / 'w' / 'generated_data'
    assert {p.name for p in data.iterdir() if p.is_dir()} == {'s1', 's2c'}
    logged = [json.loads(line) for line in
              next((tmp_path / 'w').glob('*/vis_data/scalars.json')).read_text().splitlines()]
    assert logged and all(entry['loss'] == entry['loss'] for entry in logged)
    assert all('loss_cross' in entry for entry in logged)


def test_the_writer_follows_the_recipes_modalities(tmp_path):
    root = Path(generated_data_root(tmp_path / 'g', dict(
        type='SSL4EOS12Pairs', modalities=dict(s1=('VV', 'VH'), s2a=None))))
    assert {p.name for p in root.iterdir() if p.is_dir()} == {'s1', 's2a'}
    dataset = SSL4EOS12Pairs(root, modalities=dict(s1=('VV', 'VH'), s2a=None))
    assert len(dataset) == 4
    assert set(dataset[0]['paths']) == {'s1', 's2', 's1/1', 's2/1'}


def test_a_dataset_class_brings_its_own_generator(tmp_path):
    class Written:
        @classmethod
        def write_fake_data(cls, root: Path, dataset: dict, size: int) -> Path:
            (root / 'tile.txt').write_text(f"{dataset['tag']} {size}")
            return root

    DATASETS.register_module(name='WrittenForTest', module=Written)
    try:
        root = generated_data_root(tmp_path / 'g', dict(type='WrittenForTest', tag='x'))
    finally:
        DATASETS.module_dict.pop('WrittenForTest')
    assert (Path(root) / 'tile.txt').read_text() == 'x 48'


def test_a_dataset_without_a_writer_is_named(tmp_path):
    with pytest.raises(KeyError, match="'ConcatDataset'.*SSL4EOS12Pairs"):
        generated_data_root(tmp_path / 'g', dict(type='ConcatDataset'))
