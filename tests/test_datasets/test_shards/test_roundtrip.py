"""Folder → litdata chunks → samples: the unchanged loaders see exactly what they see in the
files."""
import json

import numpy as np
import pytest
import rasterio

from eossl.datasets import (
    SEN12MS,
    SSL4EOS12,
    BigEarthNet,
    GeoTiffFolder,
    InvalidSampleError,
    ShardedDataset,
)
from eossl.datasets.array_raster import ArrayRaster
from eossl.datasets.shards import pack_dataset
from eossl.testing import (
    make_fake_bigearthnet,
    make_fake_geotiff_folder,
    make_fake_sen12ms,
    make_fake_ssl4eo_s12,
)

from ..conftest import write_geotiff


def load(modality: str, out_key: str | None = None, **kwargs) -> dict:
    return dict(type='LoadMultiBandImage', modality=modality, out_key=out_key or modality,
                **kwargs)


def ssl4eo(root):
    make_fake_ssl4eo_s12(root, num_locations=2, seasons=2, size=12, modalities=('s2c',))
    return SSL4EOS12, dict(data_root=root, modality='s2c', seasons='all', unlabeled='keep',
                           labels_file='ssl4eo_s12_ml_labels.json'), \
        [load('s2', bands=['B4', 'B8A', 'B1'], target_size=12)]


def bigearthnet(root):
    make_fake_bigearthnet(root, num_patches=3, size=12)
    return BigEarthNet, dict(data_root=root, modalities=('s1', 's2')), \
        [load('s1'), load('s2', resample='nearest')]


def sen12ms(root):
    make_fake_sen12ms(root, num_patches=3, size=8)
    return SEN12MS, dict(data_root=root, modalities=('s1', 's2', 'lc')), \
        [load('s1'), load('s2', bands=['B2', 'B11']), load('lc')]


def geotiff_folder(root):
    make_fake_geotiff_folder(root, band_names=('B2', 'B3'), size=6, samples_per_class=2)
    return GeoTiffFolder, dict(data_root=root, band_names=('B2', 'B3'), modality='img',
                               class_from_folder=True), [load('img', window=(1, 2, 3, 4))]


def nodata_folder(root):
    """float32 with a NaN nodata and int16 with a -1 nodata: both must round-trip."""
    pixels = np.arange(2 * 5 * 5, dtype=np.float32).reshape(2, 5, 5)
    pixels[0, 0, :3] = np.nan
    write_geotiff(root / 'a' / 'x.tif', pixels, nodata=float('nan'), descriptions=('VV', 'VH'))
    ints = np.arange(2 * 5 * 5, dtype=np.int16).reshape(2, 5, 5) - 3
    write_geotiff(root / 'a' / 'y.tif', ints, nodata=-1, descriptions=('VV', 'VH'))
    return GeoTiffFolder, dict(data_root=root, band_names=('VV', 'VH'), modality='s1'), \
        [load('s1', bands=['VH', 'VV'], allow_nan=True)]


CASES = [ssl4eo, bigearthnet, sen12ms, geotiff_folder, nodata_folder]


def raw_rasters(source) -> list:
    """The files (or ArrayRasters) of one ``paths`` entry, in a fixed order."""
    return [source[k] for k in sorted(source)] if isinstance(source, dict) else [source]


def assert_same_raster(packed: ArrayRaster, path: str) -> None:
    with rasterio.open(path) as src:
        expected = src.read()
        assert packed.dtypes == src.dtypes  # native dtype, nothing converted
        assert packed.shape == src.shape  # native grid, nothing resampled
        np.testing.assert_array_equal(packed.read(), expected)
        assert packed.descriptions == src.descriptions
        np.testing.assert_array_equal(np.array(packed.nodatavals, float),
                                      np.array(src.nodatavals, float))
        assert packed.crs == src.crs and packed.transform == src.transform


@pytest.mark.parametrize('make', CASES, ids=[c.__name__ for c in CASES])
def test_folder_to_shards_to_samples_is_lossless(tmp_path, make):
    dataset_cls, kwargs, pipeline = make(tmp_path / 'data')
    files = dataset_cls(**kwargs, pipeline=pipeline)
    pack_dataset(dataset_cls(**kwargs), tmp_path / 'shards', samples_per_shard=2)
    shards = ShardedDataset(tmp_path / 'shards', pipeline=pipeline, shuffle=False)
    raw = ShardedDataset(tmp_path / 'shards', shuffle=False)
    streamed = {s['sample_id']: s for s in shards}
    packed_items = {s['sample_id']: s for s in raw}  # no pipeline: the decoded items
    assert len(streamed) == len(files) == shards.num_samples
    assert shards.metainfo == json.loads(json.dumps(dict(files.metainfo)))
    for i in range(len(files)):
        item = files.get_data_info(i)
        expected, got = files[i], streamed[item['sample_id']]
        fields = {k: v for k, v in item.items() if k != 'paths'}
        packed = packed_items[item['sample_id']]
        assert {k: packed[k] for k in fields} == json.loads(json.dumps(fields))
        assert got.get('gt_label') == expected.get('gt_label')
        for step in pipeline:
            key = step['out_key']
            assert got[key].dtype == expected[key].dtype == np.float32
            np.testing.assert_array_equal(got[key], expected[key])  # NaN where NaN
            assert got[key + '_bands'] == expected[key + '_bands']
        for modality, source in item['paths'].items():
            for packed_raster, path in zip(raw_rasters(packed['paths'][modality]),
                                           raw_rasters(source)):
                assert_same_raster(packed_raster, path)


def test_array_raster_reads_like_rasterio(tmp_path):
    pixels = np.arange(3 * 4 * 6, dtype=np.uint16).reshape(3, 4, 6)
    path = write_geotiff(tmp_path / 'm.tif', pixels, descriptions=('B2', 'B3', 'B4'))
    raster = ArrayRaster(list(pixels), 'mem', descriptions=('B2', 'B3', 'B4'))
    window = rasterio.windows.Window(col_off=1, row_off=2, width=4, height=2)
    with rasterio.open(path) as src:
        np.testing.assert_array_equal(raster.read([3, 1], window=window),
                                      src.read([3, 1], window=window))
        np.testing.assert_array_equal(raster.read(2), src.read(2))
    with pytest.raises(ValueError, match='mem: window'):
        raster.read([1], window=rasterio.windows.Window(4, 0, 4, 2))
    with pytest.raises(ValueError, match='one shape and dtype'):
        ArrayRaster([pixels[0], pixels[0, :2]], 'bad')


class OneItem:
    """A dataset of the single ``item``."""

    def __init__(self, item: dict, skip_invalid: bool = False) -> None:
        self.item, self.metainfo, self.skip_invalid = item, {}, skip_invalid

    def __len__(self) -> int:
        return 1

    def get_data_info(self, i: int) -> dict:
        return dict(self.item)


def test_items_that_cannot_be_packed_are_named(tmp_path):
    tif = write_geotiff(tmp_path / 'a.tif', np.zeros((2, 2), np.uint8))
    with pytest.raises(ValueError, match='x.h5: an HDF5 file; MMEarth'):
        pack_dataset(OneItem(dict(sample_id='m', paths={'mmearth': 'x.h5'})), tmp_path / 'o1')
    with pytest.raises(InvalidSampleError, match="sample 's': set value .* cannot be stored"):
        pack_dataset(OneItem(dict(sample_id='s', paths={'img': tif}, tags={1})), tmp_path / 'o2')
    with pytest.raises(InvalidSampleError, match=r"paths\['img'\] is a int"):
        pack_dataset(OneItem(dict(sample_id='b', paths={'img': 3})), tmp_path / 'o3')
    missing = OneItem(dict(sample_id='gone', paths={'img': str(tmp_path / 'gone.tif')}),
                      skip_invalid=True)
    with pytest.raises(ValueError, match='no sample of the 1 could be packed'):
        pack_dataset(missing, tmp_path / 'o4')
    assert 'gone.tif' in json.loads((tmp_path / 'o4' / '.parts' / '0.json').read_text())[
        'skipped']['gone']
