"""SSL4EOS12: exact layout of the fake data, seasons, SSL4EO-S12-ML labels, SoftCon pipeline."""
import copy
import json
from collections import Counter

import numpy as np
import pytest
import rasterio
from mmengine.config import Config

import eossl  # noqa: F401  (registers the components)
from eossl.datasets import SSL4EOS12, InvalidSampleError
from eossl.datasets.ssl4eo_s12 import by_date
from eossl.registry import DATASETS
from eossl.testing import make_fake_ssl4eo_s12

LABELS = 'ssl4eo_s12_ml_labels.json'


@pytest.fixture(scope='module')
def fake(tmp_path_factory):
    root = tmp_path_factory.mktemp('ssl4eo')
    return root, make_fake_ssl4eo_s12(root, num_locations=3, size=24)


def test_generator_writes_the_official_layout_at_native_sizes(fake):
    root, out = fake
    location = out['locations'][0]
    season = out['seasons']['s2c'][location][0]
    assert sorted(p.name for p in (root / 's2c' / location).iterdir()) == \
        sorted(out['seasons']['s2c'][location])
    sizes = {p.stem: rasterio.open(p).shape for p in (root / 's2c' / location / season).iterdir()}
    assert len(sizes) == 13 and sizes['B4'] == (24, 24) and sizes['B5'] == (12, 12)
    assert sizes['B10'] == (4, 4) and 'B10' not in {p.stem for p in (
        root / 's2a' / location / season).iterdir()}
    with rasterio.open(root / 's1' / location / out['seasons']['s1'][location][0] / 'VV.tif') \
            as src:
        assert src.dtypes[0] == 'float32' and src.shape == (24, 24)
    assert out['seasons']['s2a'][location] == out['seasons']['s2c'][location]
    assert all(len(loc) == 7 and loc.isdigit() for loc in out['locations'])


def test_random_season_per_location_with_its_labels(fake):
    root, out = fake
    dataset = SSL4EOS12(root, modality='s2c', labels_file=LABELS)
    # the last location has no labels and the first one an empty season: both excluded
    assert len(dataset) == 2 and dataset.metainfo['classes'][0] == 'water'
    np.random.seed(0)
    drawn = Counter()
    for _ in range(40):
        info = dataset.get_data_info(0)
        location, season = info['location'], info['season']
        assert info['gt_label'] == out['labels'][location][season]
        assert info['paths']['s2']['B8A'] == str(root / 's2c' / location / season / 'B8A.tif')
        drawn[season] += 1
    assert len(drawn) == 3  # the three labeled seasons of the first location


def test_all_seasons_kept_unlabeled_and_location_scope(fake):
    root, out = fake
    dataset = SSL4EOS12(root, modality='s2a', seasons='all', labels_file=LABELS,
                        unlabeled='keep')
    assert len(dataset) == 12
    infos = [dataset.get_data_info(i) for i in range(12)]
    assert infos[0]['sample_id'] == f"{infos[0]['location']}/{infos[0]['season']}"
    assert len(infos[0]['paths']['s2']) == 12
    unlabeled = [i['sample_id'] for i in infos if not i['gt_label']]
    assert len(unlabeled) == 1 + 4  # the empty season + the location missing from the JSON
    union = SSL4EOS12(root, modality='s2a', seasons='all', labels_file=LABELS,
                      unlabeled='keep', label_scope='location')
    first = out['locations'][0]
    expected = sorted(set().union(*out['labels'][first].values()))
    assert all(union.get_data_info(i)['gt_label'] == expected for i in range(4))
    assert 'gt_label' not in SSL4EOS12(root, modality='s1').get_data_info(0)


def test_s1_seasons_take_the_s2_labels_in_date_order(fake):
    root, out = fake
    dataset = SSL4EOS12(root, modality='s1', seasons='all', labels_file=LABELS,
                        unlabeled='keep')
    location = out['locations'][1]
    s1, s2 = out['seasons']['s1'][location], out['seasons']['s2c'][location]  # in date order
    assert by_date(sorted(s1)) == s1 != sorted(s1)  # S1A/S1B: name order is not date order
    got = {dataset.get_data_info(i)['season']: dataset.get_data_info(i)['gt_label']
           for i in range(len(dataset)) if dataset.get_data_info(i)['location'] == location}
    assert [got[s] for s in s1] == [out['labels'][location][s] for s in s2]


def test_index_season_keys(tmp_path):
    out = make_fake_ssl4eo_s12(tmp_path, num_locations=2, seasons=2, size=12,
                               modalities=('s2c', ), season_keys='index')
    dataset = SSL4EOS12(tmp_path, seasons='all', labels_file=LABELS, unlabeled='keep')
    location = out['locations'][0]
    labels = [dataset.get_data_info(i)['gt_label'] for i in range(2)]
    assert labels == [out['labels'][location]['0'], out['labels'][location]['1']]


def test_split_file_and_bad_inputs_are_named(tmp_path):
    out = make_fake_ssl4eo_s12(tmp_path, num_locations=3, seasons=1, size=12,
                               modalities=('s2c', ))
    split = tmp_path / 'split.csv'
    split.write_text(f"{int(out['locations'][2])}\n")
    assert [SSL4EOS12(tmp_path, split_file=split).get_data_info(0)['location']] == \
        [out['locations'][2]]
    labels = json.loads((tmp_path / LABELS).read_text())
    first = out['locations'][0]
    labels[first] = {k: ['12'] for k in labels[first]}
    (tmp_path / 'bad.json').write_text(json.dumps(labels))
    with pytest.raises(InvalidSampleError, match=rf"bad\.json: location {first} .*\['12'\]"):
        SSL4EOS12(tmp_path, labels_file='bad.json')
    season = out['seasons']['s2c'][first][0]
    (tmp_path / 's2c' / first / season / 'B11.tif').unlink()
    with pytest.raises(InvalidSampleError, match='B11.tif is missing'):
        SSL4EOS12(tmp_path)
    dataset = SSL4EOS12(tmp_path, skip_invalid=True)
    assert len(dataset) == 2 and f'{first}/{season}' in dataset.invalid_samples
    with pytest.raises(ValueError, match='modality must be one of'):
        SSL4EOS12(tmp_path, modality='s2')
    with pytest.raises(ValueError, match=r"s2a has no band\(s\) \['B10'\]"):
        SSL4EOS12(tmp_path, modality='s2a', bands=['B10'])


@pytest.mark.parametrize('name, bands', [('ssl4eo_s12_s2_softcon.py', 13),
                                         ('ssl4eo_s12_s1_softcon.py', 2)])
def test_softcon_base_pipeline_gives_two_views_and_labels(repo_root, fake, name, bands):
    root, _ = fake
    cfg = Config.fromfile(repo_root / 'configs' / '_base_' / 'datasets' / name)
    dataset_cfg = copy.deepcopy(cfg.train_dataloader.dataset)
    dataset_cfg.update(data_root=str(root))
    dataset_cfg.pipeline[0].target_size = 24  # the fake 10 m grid instead of 264
    dataset_cfg.pipeline[1].transforms[0][0].size = 16
    packed = DATASETS.build(dataset_cfg)[0]
    views, sample = packed['inputs'], packed['data_samples']
    assert len(views) == 2 and all(v.shape == (bands, 16, 16) for v in views)
    assert not np.array_equal(views[0].numpy(), views[1].numpy())
    assert len(sample.gt_label) and sample.metainfo['season']
