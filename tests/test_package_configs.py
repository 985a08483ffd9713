"""``eossl::<recipe>`` names: Config.fromfile, user configs' ``_base_``, commands' work dirs."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from mmengine.config import Config

from eossl.cli.launch.runner_config import merge_cli_args
from eossl.compat import package_config_path
from eossl.registry import MODELS

DEMO = 'dual_simclr/dual_simclr_rn18_s1s2_demo_bigearthnet.py'


def test_names_resolve_to_the_packaged_recipes(repo_root):
    assert Path(package_config_path('eossl::pera_vits.py')).read_text() == \
        (repo_root / 'configs' / 'pera_vits.py').read_text()
    assert Config.fromfile('eossl::pera_vits.py').model.type == 'PerA'  # no folder in the name
    cfg = Config.fromfile(f'eossl::{DEMO}')  # its relative _base_ files resolve too
    assert cfg.model.type == 'DualSimCLR' and cfg.train_dataloader.dataset.type == 'BigEarthNet'


def test_user_config_inherits_a_packaged_recipe(tmp_path):
    user = tmp_path / 'my_recipe.py'
    user.write_text(f"_base_ = ['eossl::{DEMO}']\n"
                    "model = dict(s1_neck=dict(out_channels=64), s2_neck=dict(out_channels=64))\n")
    cfg = Config.fromfile(str(user))
    assert cfg.train_cfg.max_epochs == 30 and cfg.model.s1_neck.out_channels == 64
    model = MODELS.build(cfg.model)
    assert type(model).__name__ == 'DualSimCLR'


def test_other_packages_keep_mmengine_resolution(tmp_path):
    user = tmp_path / 'uses_mmpretrain.py'
    user.write_text("_base_ = ['mmpretrain::_base_/models/resnet18.py']\n")
    assert Config.fromfile(str(user)).model.backbone.type == 'ResNet'


def test_unknown_names_say_where_they_looked_and_suggest():
    with pytest.raises(FileNotFoundError, match=r"pera/pera_vits16_s2_200e_ssl4eo\.py"):
        Config.fromfile('eossl::pera_vits16_s2_200e_ssl4eo.py')
    with pytest.raises(FileNotFoundError, match=r"no recipe 'nope\.py' under .*\.mim"):
        Config.fromfile('eossl::nope.py')


def test_work_dir_default_uses_the_recipe_name():
    cfg = merge_cli_args(Config.fromfile('eossl::pera_vits.py'), config_path='eossl::pera_vits.py')
    assert cfg.work_dir == 'work_dirs/pera_vits'


def test_refuses_an_mmengine_it_was_not_written_for(monkeypatch):
    from eossl import supported_versions as versions
    from eossl.compat import package_configs

    monkeypatch.setattr(Config, '_eossl_package_lookup', False)
    monkeypatch.setattr(versions, 'installed_version', lambda package: '0.11.0')
    monkeypatch.delenv(versions.SKIP_ENV, raising=False)
    before = Config.fromfile
    with pytest.raises(versions.UnsupportedVersionError, match=r'eossl:: recipe lookup.*0\.11\.0'):
        package_configs.install_package_config_lookup()
    assert Config.fromfile is before  # nothing was patched


def test_plain_mmengine_resolves_eossl_names_through_the_startup_hook(tmp_path, repo_root):
    """What ``eossl_config_lookup.pth`` does in site-packages, in a fresh interpreter."""
    (tmp_path / 'user.py').write_text("_base_ = ['eossl::pera_vits.py']\n")
    script = (
        'import sys, eossl_config_lookup\n'
        'from mmengine.config import Config\n'
        "assert 'eossl' not in sys.modules\n"
        "assert Config.fromfile('eossl::pera_vits.py').model.type == 'PerA'\n"
        "assert 'eossl' in sys.modules\n"
        "assert Config.fromfile('user.py').model.type == 'PerA'\n"
        "print('ok')\n")
    done = subprocess.run([sys.executable, '-c', script], cwd=tmp_path, capture_output=True,
                          text=True, env={**os.environ, 'PYTHONPATH': str(repo_root)})
    assert done.returncode == 0 and done.stdout.strip() == 'ok', done.stderr[-2000:]


@pytest.mark.parametrize('base', ['pera_vits.py', DEMO])
def test_user_recipe_inheriting_a_packaged_recipe_trains(base, tmp_path, monkeypatch,
                                                         bigearthnet_example):
    """mmengine gives every dict of an ``eossl::`` base ``_scope_``; the collate_fn's must not
    reach ``default_collate`` as a keyword (it did: a TypeError at the first batch)."""
    from eossl.cli import train

    monkeypatch.chdir(tmp_path)
    (tmp_path / 'user.py').write_text(f"_base_ = ['eossl::{base}']\n"
                                      'train_cfg = dict(max_epochs=1)\n')
    assert Config.fromfile('user.py').train_dataloader.collate_fn._scope_ == 'eossl'
    data = (['--preset', 'cpu-tiny'] if base == 'pera_vits.py' else
            ['--cfg-options', f'train_dataloader.dataset.data_root={bigearthnet_example}',
             'train_dataloader.dataset.pipeline.0.target_size=24',  # smaller, to be quick
             *[f'model.{m}_{k}' for m in ('s1', 's2') for k in (
                 'backbone.stem_channels=8', 'backbone.base_channels=8', 'neck.in_channels=64')]])
    train.main(['user.py', '--work-dir', 'w', *data])
    assert (tmp_path / 'w' / 'epoch_1.pth').is_file()


def test_collate_scope_selects_the_registry_and_unknown_names_are_named():
    from mmengine.dataset import default_collate

    from eossl.compat.collate_scope import resolve_collate_scope

    loader = dict(batch_size=2, collate_fn=dict(type='default_collate', _scope_='eossl'))
    resolved = resolve_collate_scope(loader)
    assert resolved['collate_fn'] == dict(type=default_collate)
    assert loader['collate_fn']['_scope_'] == 'eossl'  # the caller's config is left alone
    assert resolve_collate_scope(dict(batch_size=2)) == dict(batch_size=2)
    with pytest.raises(KeyError, match="no function 'nope' is registered in scope 'eossl'"):
        resolve_collate_scope(dict(collate_fn=dict(type='nope', _scope_='eossl')))


def test_list_recipes_names_every_shipped_recipe_and_filters(capsys, repo_root):
    from eossl.cli import list_recipes
    shipped = {f'eossl::{p.relative_to(repo_root / "configs").as_posix()}'
               for p in (repo_root / 'configs').rglob('*.py') if '_base_' not in p.parts}
    assert set(list_recipes.main(['--all'])) == shipped
    pretraining = list_recipes.main([])
    assert 'eossl::pera_vits.py' in pretraining
    assert not any(n.startswith('eossl::benchmarks/') for n in pretraining)
    assert list_recipes.main(['mpmae', '56']) == [
        'eossl::mpmae/mpmae_convnextv2-atto_all-uncertainty_200e_mmearth-56.py',
        'eossl::mpmae/mpmae_convnextv2-atto_s2_200e_mmearth-56.py']
    assert re.search(r'eossl::pera_vits\.py +PerA, ViT-S/16', capsys.readouterr().out)


def test_a_mistyped_name_suggests_the_nearest_recipes():
    with pytest.raises(FileNotFoundError, match=r"did you mean eossl::pera/pera_vits16_s2_200e_"
                                                r"ssl4eo\.py.*eossl-list-recipes"):
        Config.fromfile('eossl::pera/pera_vits16_s2_200e_ssl4e0.py')
    with pytest.raises(FileNotFoundError, match=r'did you mean eossl::pera_vits\.py'):
        Config.fromfile('eossl::pera_vit.py')
