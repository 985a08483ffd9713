"""DeCUR's data: co-located SSL4EO-S12 S1/S2 locations with a season per view, and the recipe's
per-modality views (independent draws, two-sigma scaled) packed for the model."""
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

import eossl  # noqa: F401  (registers the components)
from eossl.datasets.ssl4eo_s12_pairs import SSL4EOS12Pairs
from eossl.models.selfsup.cpu_sizes import apply_cpu_size
from eossl.registry import DATASETS, TRANSFORMS
from eossl.testing.ssl4eo_s12 import make_fake_ssl4eo_s12

RECIPE = 'configs/decur/decur_rn50_s1s2_100e_ssl4eo.py'


@pytest.fixture(scope='module')
def root(tmp_path_factory):
    root = tmp_path_factory.mktemp('ssl4eo')
    make_fake_ssl4eo_s12(root, num_locations=3, seasons=4, size=24, modalities=('s1', 's2c'))
    return root


def test_locations_of_every_modality_with_a_season_per_view(root):
    np.random.seed(0)
    dataset = SSL4EOS12Pairs(root, modalities=dict(s1=None, s2c=('B2', 'B3')))
    assert len(dataset) == 3
    info = dataset.get_data_info(0)
    assert sorted(info['paths']) == ['s1', 's1/1', 's2', 's2/1']  # view 0, view 1
    assert sorted(info['paths']['s2/1']) == ['B2', 'B3']
    draws = [dataset.get_data_info(0)['seasons'] for _ in range(20)]
    assert any(d['s1'] != d['s1/1'] for d in draws)  # official 'augment': per view


def test_per_modality_draw_shares_the_season_of_a_modality(root):
    dataset = SSL4EOS12Pairs(root, season_draw='per_modality')
    for _ in range(10):
        seasons = dataset.get_data_info(1)['seasons']
        assert seasons['s1'] == seasons['s1/1'] and seasons['s2'] == seasons['s2/1']


def test_bad_settings_are_named(root, tmp_path):
    with pytest.raises(ValueError, match='at most one S2 product'):
        SSL4EOS12Pairs(root, modalities=dict(s2c=None, s2a=None))
    with pytest.raises(ValueError, match='season_draw'):
        SSL4EOS12Pairs(root, season_draw='fixed')
    make_fake_ssl4eo_s12(tmp_path, num_locations=2, seasons=1, size=12, modalities=('s2c', ))
    with pytest.raises(FileNotFoundError, match='s1 folder'):
        SSL4EOS12Pairs(tmp_path)


def test_recipe_pipeline_gives_two_independent_scaled_views_per_modality(root):
    cfg = Config.fromfile(RECIPE)
    apply_cpu_size(cfg, 'tiny')
    cfg.train_dataloader.dataset.data_root = str(root)
    np.random.seed(1)
    with DefaultScope.overwrite_default_scope('eossl'):
        dataset = DATASETS.build(cfg.train_dataloader.dataset)
    packed = dataset[0]
    inputs = packed['inputs']
    assert [tuple(v.shape) for v in inputs['s1']] == [(2, 32, 32)] * 2
    assert [tuple(v.shape) for v in inputs['s2']] == [(13, 32, 32)] * 2
    for views in inputs.values():
        assert not torch.equal(views[0], views[1])
    # TwoSigmaScale (the official uint8 / 255) then only convex resampling, blur and grayscale
    # for S1 (S2's contrast jitter may leave [0, 1], where the official uint8 cast wraps)
    s1 = torch.cat([v[torch.isfinite(v)] for v in inputs['s1']])
    assert s1.min() >= 0 and s1.max() <= 1
    assert set(packed['data_samples'].metainfo['seasons']) == {'s1', 's1/1', 's2', 's2/1'}


def test_split_file_selects_locations(root, tmp_path):
    locations = SSL4EOS12Pairs(root).get_data_info(0)['location']
    split = tmp_path / 'split.txt'
    split.write_text(f'{int(locations)}\n9999999\n')
    dataset = SSL4EOS12Pairs(root, split_file=split, skip_invalid=True)
    assert len(dataset) == 1 and '9999999' in dataset.invalid_samples


def test_modality_views_augment_each_view_from_its_own_source():
    views = TRANSFORMS.build(dict(type='ModalityViews', num_views=3, pipelines=dict(
        s1=[dict(type='EORandomFlip', prob=1.0, direction='horizontal', keys='s1')],
        s2=[])))
    s1 = np.arange(8, dtype=np.float32).reshape(1, 2, 4)
    out = views({'s1': s1, 's1/2': s1 + 100, 's1/2_bands': ['VV'], 's2': np.zeros((3, 2, 4)),
                 'sample_id': 'x'})
    assert len(out['s1']) == 3 and np.array_equal(out['s1'][1], s1[:, :, ::-1])
    assert np.array_equal(out['s1'][2], s1[:, :, ::-1] + 100)  # view 2 from 's1/2'
    assert len(out['s2']) == 3 and out['sample_id'] == 'x'
    assert 's1/2' not in out and 's1/2_bands' not in out
    with pytest.raises(ValueError, match='list of transform configs'):
        TRANSFORMS.build(dict(type='ModalityViews', pipelines=dict(s1=dict(type='EORandomFlip'))))
    broken = TRANSFORMS.build(dict(type='ModalityViews', pipelines=dict(s3=[])))
    with pytest.raises(KeyError, match="wrote no results\\['s3'\\]"):
        broken(dict(s1=s1))
