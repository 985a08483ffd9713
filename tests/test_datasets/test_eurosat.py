"""EuroSAT-MS: the generator's layout, labels, B8A-last band order, split lists, bad names."""
import numpy as np
import pytest
import rasterio

from eossl.datasets import EuroSAT, InvalidSampleError
from eossl.datasets.eurosat import EUROSAT_CLASSES, FILE_BANDS
from eossl.datasets.transforms import LoadMultiBandImage
from eossl.testing import make_fake_eurosat

S2_L1C = ('B1', 'B2', 'B3', 'B4', 'B5', 'B6', 'B7', 'B8', 'B8A', 'B9', 'B10', 'B11', 'B12')


def test_generator_writes_the_official_layout(tmp_path):
    files = make_fake_eurosat(tmp_path, samples_per_class=2, size=8)
    assert len(files) == 20
    assert (tmp_path / 'SeaLake' / 'SeaLake_2.tif').is_file()
    with rasterio.open(tmp_path / 'Forest' / 'Forest_1.tif') as src:
        assert (src.count, src.shape, src.dtypes[0]) == (13, (8, 8), 'uint16')
    assert FILE_BANDS[-1] == 'B8A' and FILE_BANDS[8] == 'B9'


def test_items_are_labelled_by_class_folder(tmp_path):
    make_fake_eurosat(tmp_path, samples_per_class=1, size=8)
    dataset = EuroSAT(tmp_path)
    assert dataset.metainfo['classes'] == EUROSAT_CLASSES
    item = dataset.get_data_info(EUROSAT_CLASSES.index('River'))
    assert item['sample_id'] == 'River/River_1'
    assert item['gt_label'] == [EUROSAT_CLASSES.index('River')]
    assert item['bands']['s2'] == FILE_BANDS


def test_loading_by_name_puts_b8a_back_in_product_order(tmp_path):
    make_fake_eurosat(tmp_path, samples_per_class=1, size=8, classes=('Forest', ))
    item = EuroSAT(tmp_path).get_data_info(0)
    out = LoadMultiBandImage(modality='s2', bands=S2_L1C)(dict(item))
    with rasterio.open(item['paths']['s2']) as src:
        raw = src.read().astype(np.float32)
    assert out['img_bands'] == S2_L1C
    np.testing.assert_array_equal(out['img'][8], raw[12])  # B8A: stored last
    np.testing.assert_array_equal(out['img'][9], raw[8])  # B9 follows it
    # the generator's band levels rise with the file index: B8A is the brightest band
    assert out['img'][8].mean() > out['img'][12].mean()


def test_split_file_selects_by_name_with_any_extension(tmp_path):
    make_fake_eurosat(tmp_path, samples_per_class=2, size=8, classes=('Forest', 'River'))
    (tmp_path / 'eurosat-val.txt').write_text('River_2.jpg\nForest_1.tif\n')
    dataset = EuroSAT(tmp_path, split_file='eurosat-val.txt')
    assert [dataset.get_data_info(i)['sample_id'] for i in range(len(dataset))] == \
        ['River/River_2', 'Forest/Forest_1']
    (tmp_path / 'bad.txt').write_text('River_9.jpg\n')
    with pytest.raises(InvalidSampleError, match=r"bad.txt line 1: 'River_9.jpg' is not"):
        EuroSAT(tmp_path, split_file='bad.txt')


def test_a_misnamed_file_is_an_error_naming_it(tmp_path):
    make_fake_eurosat(tmp_path, samples_per_class=1, size=8, classes=('Forest', ))
    (tmp_path / 'Forest' / 'Forest_1.tif').rename(tmp_path / 'Forest' / 'River_1.tif')
    with pytest.raises(InvalidSampleError, match=r'River_1.tif: expected a file named Forest_'):
        EuroSAT(tmp_path)
