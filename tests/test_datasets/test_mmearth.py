"""MMEarth dataset and LoadMMEarthSample on the seeded fake h5 layout."""
import json
import pickle

import h5py
import numpy as np
import pytest
import torch
from mmengine.dataset import pseudo_collate

import eossl
from eossl.datasets import MMEarth
from eossl.datasets.mmearth_layout import S2_STORED_BANDS, WORLDCOVER_CODES
from eossl.datasets.transforms import LoadMMEarthSample
from eossl.testing import make_fake_mmearth

ALL = ('sentinel2', 'sentinel1', 'aster', 'canopy_height_eth', 'dynamic_world',
       'esa_worldcover', 'biome', 'eco_region', 'lat', 'lon', 'month', 'era5')


@pytest.fixture(scope='module')
def root(tmp_path_factory):
    eossl.register_all_modules()
    return make_fake_mmearth(tmp_path_factory.mktemp('mm'), num_samples=6, size=16)


def _h5(root):
    return h5py.File(next(root.glob('data_*.h5')), 'r')


def _load(root, index: int, **kwargs) -> dict:
    """Run the loading transform on h5 row ``index`` as the dataset would feed it."""
    meta = MMEarth(root, split='train', lazy_init=True)
    meta.full_init()
    info = dict(meta.get_data_info(0), h5_index=index, s2_type='l2a' if index % 2 else 'l1c')
    return LoadMMEarthSample(**kwargs)(info)


def test_index_follows_the_split_and_metadata(root):
    splits = json.loads(next(root.glob('*_splits.json')).read_text())
    dataset = MMEarth(root, split='val')
    assert len(dataset) == len(splits['val']) == 1
    info = dataset.get_data_info(0)
    with _h5(root) as h5:
        tile = h5['metadata'][splits['val'][0]]['tile_id'].decode()
    assert info['sample_id'] == tile and info['h5_index'] == splits['val'][0]
    assert info['s2_type'] == ('l2a' if info['h5_index'] % 2 else 'l1c')
    assert info['paths']['mmearth'].endswith('.h5') and 'sentinel1' in info['band_stats']


def test_s2_type_from_tile_info_for_older_metadata(tmp_path):
    old = make_fake_mmearth(tmp_path, num_samples=4, s2_type_in_metadata=False)
    dataset = MMEarth(old, split='train')
    info = json.loads(next(old.glob('*_tile_info.json')).read_text())
    assert [d['s2_type'] for d in dataset] == [info[d['sample_id']]['S2_type'] for d in dataset]


def test_s2_bands_reordered_by_name_to_l1c_order(root):
    raw = _load(root, 2, modalities=['sentinel2'], normalize=False)
    bands = raw['sentinel2_bands']
    assert bands == ('B1', 'B2', 'B3', 'B4', 'B5', 'B6', 'B7', 'B8', 'B8A', 'B9', 'B11', 'B12')
    with _h5(root) as h5:
        stored = h5['sentinel2'][2].astype(np.float32)
    for i, band in enumerate(bands):
        np.testing.assert_array_equal(raw['sentinel2'][i], stored[S2_STORED_BANDS.index(band)])
    picked = _load(root, 2, modalities={'sentinel2': ['B04', 'B8A']}, normalize=False)
    np.testing.assert_array_equal(picked['sentinel2'], stored[[3, 7]])


def test_zscore_uses_the_product_type_and_nodata_becomes_nan(root):
    stats = json.loads(next(root.glob('*_band_stats.json')).read_text())
    with _h5(root) as h5:
        s2 = h5['sentinel2'][0].astype(np.float64)
    out = _load(root, 0, modalities=['sentinel2'])['sentinel2']
    mean = np.array(stats['sentinel2_l1c']['mean'])[S2_STORED_BANDS.index('B8')]
    std = np.array(stats['sentinel2_l1c']['std'])[S2_STORED_BANDS.index('B8')]
    np.testing.assert_allclose(out[7, 8:, 8:], (s2[8, 8:, 8:] - mean) / std, rtol=1e-5)
    assert np.isnan(out[:, :4, :4]).all() and not np.isnan(out[:, 8:, 8:]).any()
    l2a = _load(root, 1, modalities=['sentinel2'])['sentinel2']
    with _h5(root) as h5:
        b1 = h5['sentinel2'][1, 0].astype(np.float64)
    np.testing.assert_allclose(l2a[0], (b1 - stats['sentinel2_l2a']['mean'][0])
                               / stats['sentinel2_l2a']['std'][0], rtol=1e-5)


def test_labels_and_other_modalities_decode(root):
    out = _load(root, 0, modalities=ALL)
    with _h5(root) as h5:
        dw, wc = h5['dynamic_world'][0, 0], h5['esa_worldcover'][0, 0]
        biome, eco = h5['biome'][0], h5['eco_region'][0]
    assert out['dynamic_world'].dtype == np.int64 and out['dynamic_world'].shape == (1, 16, 16)
    np.testing.assert_array_equal(out['dynamic_world'][0], np.where(dw == 0, -1, dw - 1.))
    codes = {c: i for i, c in enumerate(WORLDCOVER_CODES)}
    np.testing.assert_array_equal(out['esa_worldcover'][0],
                                  np.vectorize(lambda c: codes.get(c, -1))(wc))
    assert (out['esa_worldcover'][0, :4, :4] == -1).all()
    assert np.isnan(out['canopy_height_eth'][:, :4, :4]).all()
    assert np.isnan(out['sentinel1'][6:]).all() and not np.isnan(out['sentinel1'][:6]).any()
    assert out['biome'] == biome.argmax() and out['eco_region'] == eco.argmax()
    assert out['lat'].shape == (2,) and out['era5'].shape == (12,)
    assert np.isnan(_load(root, 2, modalities=['era5'])['era5']).all()
    # an all-zero one-hot: class 0 as MMEarth's argmax, ignored (−1) with the eossl option
    assert _load(root, 3, modalities=['biome'])['biome'] == 0
    assert _load(root, 3, modalities=['biome'], strict_onehot=True)['biome'] == -1


def test_pipeline_crops_every_pixel_modality_alike(root):
    pixel = ['sentinel2', 'dynamic_world']
    dataset = MMEarth(root, split='train', pipeline=[
        dict(type='LoadMMEarthSample', modalities=pixel + ['biome'], normalize=False),
        dict(type='EORandomCrop', size=8, keys=pixel),
        dict(type='PackEOInputs', keys='sentinel2', algorithm_keys=pixel + ['biome'])])
    np.random.seed(3)
    packed = dataset[0]
    index = dataset.get_data_info(0)['h5_index']
    with _h5(root) as h5:
        s2 = h5['sentinel2'][index][[S2_STORED_BANDS.index('B1')]].astype(np.float32)
        dw = h5['dynamic_world'][index].astype(np.int64) - 1
    crop = packed['inputs'][0].numpy()
    offsets = [(y, x) for y in range(9) for x in range(9)
               if np.array_equal(s2[0, y:y + 8, x:x + 8], crop)]
    assert len(offsets) == 1
    y, x = offsets[0]
    np.testing.assert_array_equal(packed['data_samples'].dynamic_world[0], dw[0, y:y + 8, x:x + 8])


def test_worker_processes_open_their_own_handles(root):
    dataset = MMEarth(root, split='train', pipeline=[
        dict(type='LoadMMEarthSample', modalities=['sentinel2']),
        dict(type='PackEOInputs', keys='sentinel2')])
    first = dataset[0]['inputs']  # opens a handle in this process
    transform = dataset.pipeline.transforms[0]
    assert pickle.loads(pickle.dumps(transform))._handles == {}
    loader = torch.utils.data.DataLoader(dataset, batch_size=2, num_workers=2,
                                         collate_fn=pseudo_collate)
    batches = list(loader)
    assert sum(len(b['inputs']) for b in batches) == len(dataset)
    torch.testing.assert_close(batches[0]['inputs'][0], first, equal_nan=True)


def test_bad_layouts_raise_clear_errors(root, tmp_path):
    with pytest.raises(KeyError, match='split "holdout"'):
        MMEarth(root, split='holdout')
    with pytest.raises(ValueError, match='no band'):
        LoadMMEarthSample(modalities={'sentinel2': ['B13']})
    with pytest.raises(ValueError, match='unknown modalities'):
        LoadMMEarthSample(modalities=['sentinel3'])
    empty = tmp_path / 'empty'
    empty.mkdir()
    with pytest.raises(FileNotFoundError, match='exactly one data_\\*.h5'):
        MMEarth(empty)
