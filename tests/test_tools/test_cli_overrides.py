"""Command-line overrides of eossl-train / eossl-test: literal ``--cfg-options`` (dicts and
lists of dicts), ``--cfg-file``, ``--tensorboard``, ``--preset cpu-tiny``, and the plain-YAML
export of ``eossl-print-config``."""
import json

import pytest
import yaml
from mmengine.config import Config

from eossl.cli import print_config, train
from eossl.cli.launch.overrides import enable_tensorboard, merge_cfg_file, parse_value
from eossl.engine.presets import apply_preset

PERA = 'configs/pera_vits.py'
DEMO = 'configs/dual_simclr/dual_simclr_rn18_s1s2_demo_bigearthnet.py'


def test_cfg_options_take_dicts_and_lists_of_dicts(repo_root):
    args = train.parse_args([str(repo_root / DEMO), '--cfg-options',
                             'model.head=dict(type="CrossModalContrastiveHead", '
                             'loss=dict(type="CrossModalNTXentLoss", temperature=0.5))',
                             "vis_backends=[dict(type='LocalVisBackend'), dict(type='X')]",
                             'train_cfg.max_epochs=3', 'a.b=1,2', 'a.c=text'])
    assert args.cfg_options == {
        'model.head': {'type': 'CrossModalContrastiveHead',
                       'loss': {'type': 'CrossModalNTXentLoss', 'temperature': 0.5}},
        'vis_backends': [{'type': 'LocalVisBackend'}, {'type': 'X'}],
        'train_cfg.max_epochs': 3, 'a.b': [1, 2], 'a.c': 'text'}
    assert parse_value('(1, 2)') == (1, 2) and parse_value('None') is None
    assert parse_value('dict(1)') == 'dict(1)'  # not a literal: kept as text, as mmengine does


def test_cfg_file_merges_nested_fields(tmp_path, repo_root):
    override = tmp_path / 'override.py'
    override.write_text("train_cfg = dict(max_epochs=2)\n"
                        "model = dict(head=dict(loss=dict(temperature=0.3)))\n")
    cfg = merge_cfg_file(Config.fromfile(str(repo_root / DEMO)), str(override))
    assert cfg.train_cfg.max_epochs == 2 and cfg.train_cfg.type == 'EpochBasedTrainLoop'
    assert cfg.model.head.loss == dict(type='CrossModalNTXentLoss', temperature=0.3)


def test_tensorboard_flag_adds_the_backend_once(repo_root):
    cfg = enable_tensorboard(enable_tensorboard(Config.fromfile(str(repo_root / DEMO))))
    types = [b['type'] for b in cfg.visualizer.vis_backends]
    assert types == ['LocalVisBackend', 'TensorboardVisBackend']


def test_tensorboard_flag_without_the_package_names_the_extra(repo_root, monkeypatch):
    import importlib.util
    monkeypatch.setattr(importlib.util, 'find_spec', lambda name: None)
    with pytest.raises(ImportError, match=r"eossl\[tensorboard\]"):
        enable_tensorboard(Config.fromfile(str(repo_root / DEMO)))


def test_cpu_tiny_preset_trains_pera_on_generated_data_with_tensorboard(tmp_path, repo_root,
                                                                       monkeypatch):
    monkeypatch.chdir(tmp_path)  # the recipe's data/ssl4eo-s12 does not exist here
    train.main([str(repo_root / PERA), '--preset', 'cpu-tiny', '--work-dir', str(tmp_path / 'w'),
                '--tensorboard', '--cfg-options', 'train_cfg.max_epochs=1'])
    assert next((tmp_path / 'w').glob('*/vis_data/events.out.tfevents.*')).stat().st_size > 0
    assert (tmp_path / 'w' / 'epoch_1.pth').is_file()
    assert any((tmp_path / 'w' / 'generated_data').iterdir())
    scalars = next((tmp_path / 'w').glob('*/vis_data/scalars.json'))
    losses = [json.loads(line)['loss'] for line in scalars.read_text().splitlines()]
    assert len(losses) == 2 and all(loss == loss for loss in losses)  # 4 samples, batch 2


def test_preset_refuses_a_recipe_it_does_not_know(repo_root):
    cfg = Config.fromfile(str(repo_root / 'configs/benchmarks/classification/'
                                          'rn50_linear_eurosat.py'))
    cfg.work_dir = 'unused'
    with pytest.raises(KeyError, match='no preset for model.type.*presets exist for .*PerA'):
        apply_preset(cfg, 'cpu-tiny')


def test_yaml_export_reads_with_safe_load_and_matches_the_recipe(tmp_path, repo_root):
    out = tmp_path / 'new_dir' / 'demo.yaml'
    print_config.main([str(repo_root / DEMO), '--out', str(out)])
    text = out.read_text()
    assert '!!python' not in text
    exported = yaml.safe_load(text)
    original = print_config.plain(Config.fromfile(str(repo_root / DEMO)).to_dict())
    assert exported == original
    assert Config.fromfile(str(out)).model.s1_backbone.bands == 's1_grd'  # the band set by name
