"""Every shipped recipe builds its datasets from its own relative ``data_root``.

The recipes name ``data/<dataset>`` relative to the folder a command runs in; the test writes a
tiny fake tree in each dataset's layout (:mod:`eossl.testing`) under a temporary folder, runs
from there, and builds every dataloader's dataset of every recipe as the recipe names it. A
path joined twice with ``data_root`` (``data/dfc2020/data/dfc2020/...``) fails here, while tests
with absolute temporary paths cannot see it.
"""
from pathlib import Path

import pytest
from mmengine.config import Config
from mmengine.registry import DATASETS, DefaultScope

from eossl.cli import pack_shards
from eossl.datasets.bigearthnet import OFFICIAL_SPLITS, official_names
from eossl.testing import (
    make_fake_bigearthnet,
    make_fake_copernicus_bench,
    make_fake_dfc2020,
    make_fake_eurosat,
    make_fake_mmearth,
    make_fake_scene,
    make_fake_sen12ms,
    make_fake_ssl4eo_s12,
)

REPO = Path(__file__).resolve().parents[1]
# encoder and suite specs of eossl-benchmark name no dataloader: they are not recipes
SPECS = ('_base_', 'encoders', 'suites')
RECIPES = sorted([p for p in (REPO / 'configs').rglob('*.py') if not set(SPECS) & set(p.parts)]
                 + list((REPO / 'projects').glob('*/configs/*.py')))
# each *-packed recipe's shard folder, packed as its header says (eossl-pack-shards ARGS)
PACKED = {
    'ssl4eo-s12-packed/s2c': ['configs/_base_/datasets/ssl4eo_s12_s2_pera.py',
                              'train_dataloader.dataset.seasons=all'],
    'ssl4eo-s12-packed/s2c-softcon': ['configs/_base_/datasets/ssl4eo_s12_s2_softcon.py',
                                      'train_dataloader.dataset.seasons=all'],
    'mmearth-packed/data_1M_128': ['configs/_base_/datasets/mmearth_all_112.py'],
}
LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def _bigearthnet(root: Path) -> None:
    # two patch names of each official split, so that split='train' / 'val' / 'test' find some
    names = [name for split in OFFICIAL_SPLITS.values()
             for name in sorted(official_names(split))[:2]]
    make_fake_bigearthnet(root / 'bigearthnet', patch_names=names, size=12, s1_dir=None)
    make_fake_bigearthnet(root / 'bigearthnet_example', num_patches=2, size=12,
                          s2_dir='BigEarthNet-S2-Example', s1_dir='BigEarthNet-S1-Example')


def _eurosat(root: Path) -> None:
    files = make_fake_eurosat(root / 'EuroSAT_MS', samples_per_class=1, size=8)
    for split in ('train', 'val', 'test'):
        (root / 'EuroSAT_MS' / f'eurosat-{split}.txt').write_text(
            '\n'.join(f.name for f in files) + '\n')


def _sen12ms(root: Path) -> None:
    keys = make_fake_sen12ms(root / 'sen12ms', num_patches=2, size=8)
    (root / 'sen12ms' / 'splits').mkdir()
    for split in ('train', 'test'):
        (root / 'sen12ms' / 'splits' / f'{split}_list.txt').write_text(
            ''.join(f'{season}_s2_{scene}_p{patch}.tif\n' for season, scene, patch in keys))


def _ssl4eo(root: Path) -> None:
    from eossl.datasets import SSL4EOS12
    from eossl.datasets.shards import pack_dataset

    make_fake_ssl4eo_s12(root / 'ssl4eo-s12', num_locations=3, seasons=1, size=12,
                         modalities=('s1', 's2c'))
    pack_dataset(SSL4EOS12(root / 'ssl4eo-s12', modality='s2c'),
                 root / 'ssl4eo-s12-shards' / 's2c', samples_per_shard=2)


@pytest.fixture(scope='module')
def data_tree(tmp_path_factory) -> Path:
    """A folder whose ``data/`` holds every layout the recipes name, at their default paths."""
    base = tmp_path_factory.mktemp('recipe_data')
    root = base / 'data'
    _bigearthnet(root)
    _eurosat(root)
    _sen12ms(root)
    _ssl4eo(root)
    make_fake_dfc2020(root / 'dfc2020', num_patches=2, size=8)
    for name in ('data_1M_128', 'data_1M_64'):
        make_fake_mmearth(root / 'mmearth', num_samples=3, size=8, name=name)
    make_fake_scene(root / 's2_scenes' / 'scene.tif', 300, 300)
    make_fake_copernicus_bench(root / 'copernicus_bench')
    for out, (config, *options) in PACKED.items():
        with pytest.MonkeyPatch.context() as patch:  # the recipes' relative data_root
            patch.chdir(base)
            cli = [str(REPO / config), f'data/{out}', '--layout', 'compact']
            assert pack_shards.main(cli + (['--cfg-options', *options] if options else [])) == 0
    return base


def _files(node) -> list[str]:
    """Every path string inside an item's ``paths`` (nested dicts)."""
    if isinstance(node, dict):
        return [f for value in node.values() for f in _files(value)]
    return [node] if isinstance(node, str) else []


@pytest.mark.parametrize('recipe', RECIPES, ids=lambda p: str(p.relative_to(REPO)))
def test_recipe_datasets_build_from_their_relative_data_root(recipe, data_tree, monkeypatch):
    cfg = Config.fromfile(str(recipe))
    monkeypatch.chdir(data_tree)
    built = 0
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        for key in LOADERS:
            if not cfg.get(key):
                continue
            dataset_cfg = cfg[key].dataset
            assert not Path(dataset_cfg.data_root).is_absolute(), f'{key}: shipped default'
            if not dataset_cfg.type.endswith('ShardedDataset'):  # file-indexed datasets
                dataset_cfg.serialize_data = False  # its gc.collect() would take most of the time
            dataset = DATASETS.build(dataset_cfg)
            assert len(dataset) > 0, key
            named = (dataset_cfg.get('metainfo') or {}).get('classes')
            if named:  # what --probs bands and class maps are named by: the dataset's own
                assert tuple(named) == tuple(dataset.metainfo['classes']), key
            elif 'benchmarks' in recipe.parts:
                raise AssertionError(f'{key}: a downstream recipe names no classes')
            if hasattr(dataset, 'get_data_info'):  # not litdata shards
                info = dataset.get_data_info(0)
                paths = _files(info.get('paths', {})) + _files({'scene': info.get('scene')})
                assert paths and all(Path(p).exists() for p in paths), (key, paths)
            built += 1
    assert built, f'{recipe}: no dataloader'
