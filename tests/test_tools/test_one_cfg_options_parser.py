"""Every command that reads a recipe takes ``--cfg-options`` from one declaration
(:func:`eossl.cli.launch.overrides.add_cfg_options`), so the same ``KEY=VALUE`` means the same
everywhere, dicts included."""
import re

import yaml

from eossl.cli import console, print_config


def test_no_command_declares_its_own_cfg_options(repo_root):
    own, shared = [], []
    for module in console.command_modules():
        source = (repo_root / 'eossl' / 'cli' / f'{module}.py').read_text()
        if re.search(r'add_argument\(\s*[\'"]--cfg-options', source) or 'DictAction' in source:
            own.append(module)
        if re.search(r'\badd_(cfg_options|override_arguments)\(parser\)', source):
            shared.append(module)
    assert own == [], f'commands declaring their own --cfg-options: {own}'
    assert {'train', 'test', 'print_config', 'knn_probe', 'export'} <= set(shared)


def test_a_dict_value_reaches_the_recipe(tmp_path):
    """mmengine's DictAction (used by several commands before) cannot parse ``dict(...)``."""
    out = tmp_path / 'resolved.yaml'
    print_config.main(['eossl::pera_vits.py', '--out', str(out), '--cfg-options',
                       'model.extra=dict(kind="x", sizes=[1, 2])', 'train_cfg.max_epochs=3'])
    resolved = yaml.safe_load(out.read_text())
    assert resolved['model']['extra'] == {'kind': 'x', 'sizes': [1, 2]}
    assert resolved['train_cfg']['max_epochs'] == 3
