"""Readers of the benchmark layouts: real GEO-Bench samples and Copernicus-Bench fixtures."""
from pathlib import Path

import h5py
import numpy as np
import pytest

from eossl.datasets import (
    CopernicusBenchBigEarthNet,
    CopernicusBenchDFC2020,
    CopernicusBenchEuroSAT,
    GeoBenchDataset,
)
from eossl.datasets.transforms import LoadGeoBenchSample, LoadLandCoverMap, LoadMultiBandImage
from eossl.testing.copernicus_bench import (
    make_fake_copernicus_bigearthnet,
    make_fake_copernicus_dfc2020,
    make_fake_copernicus_eurosat,
)

REAL = Path(__file__).parents[1] / 'data' / 'geobench' / 'eurosat'


def test_real_geobench_samples():
    data = GeoBenchDataset(REAL, split='test')
    assert len(data) == 5
    item = data.get_data_info(0)
    # EuroSAT's file order under GEO-Bench's shifted names, read back as what they hold
    assert item['bands']['hdf5'][8:] == ('B9', 'B10', 'B11', 'B12', 'B8A')
    assert all(len(data.get_data_info(i)['gt_label']) == 1 for i in range(5))
    out = LoadGeoBenchSample()(dict(item))
    with h5py.File(REAL / 'id_0000.hdf5') as f:
        assert np.array_equal(out['img'][8], f['08A - Vegetation Red Edge'][()])
    assert out['img'].shape == (13, 64, 64) and out['img'].dtype == np.float32
    stored = GeoBenchDataset(REAL, split='test', true_band_names=False).get_data_info(0)
    assert stored['bands']['hdf5'][8] == 'B8A'


def test_geobench_missing_partition_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match='0.01x_train_partition.json'):
        GeoBenchDataset(REAL, partition='0.01x_train')


def test_copernicus_eurosat_layout(tmp_path):
    root = make_fake_copernicus_eurosat(tmp_path / 'eurosat_s2', 's2', per_class=1, size=8)
    data = CopernicusBenchEuroSAT(root, split='val', modality='s2')
    assert len(data) == 10
    item = data.get_data_info(3)
    out = LoadMultiBandImage(modality='s2')(dict(item))
    assert out['img_bands'][-1] == 'B8A' and out['img'].shape == (13, 8, 8)
    assert data.metainfo['classes'][item['gt_label'][0]] in item['sample_id']


def test_copernicus_bigearthnet_layout(tmp_path):
    root = make_fake_copernicus_bigearthnet(tmp_path / 'ben', per_split=4, size=6)
    s1 = CopernicusBenchBigEarthNet(root, split='train', modality='s1')
    s2 = CopernicusBenchBigEarthNet(root, split='train', modality='s2')
    assert len(s1) == len(s2) == 4 and len(s2.metainfo['classes']) == 19
    assert s1.get_data_info(0)['gt_label'] == s2.get_data_info(0)['gt_label']
    out = LoadMultiBandImage(modality='s2')(dict(s2.get_data_info(0)))
    assert out['img'].shape[0] == 12 and 'B10' not in out['img_bands']


def test_copernicus_dfc2020_layout(tmp_path):
    root = make_fake_copernicus_dfc2020(tmp_path / 'dfc', per_split=2, size=8)
    data = CopernicusBenchDFC2020(root, split='test', modality='s1')
    item = data.get_data_info(0)
    assert Path(item['paths']['s1']).parent.name == 's1'
    out = LoadLandCoverMap(modality='dfc')(LoadMultiBandImage(modality='s1')(dict(item)))
    mask = np.asarray(out['gt_seg_map']).squeeze()
    assert mask[0, 0] == 255 and set(np.unique(mask)) <= set(range(8)) | {255}
    with pytest.raises(FileNotFoundError, match='dfc-val-new.csv|does not exist'):
        CopernicusBenchDFC2020(tmp_path / 'nowhere', split='val')
