"""SEN12MS: triplet matching, band names, split lists, the corrupt patch, and bad input."""
from pathlib import Path

import numpy as np
import pytest
import rasterio

from eossl.datasets import SEN12MS, InvalidSampleError
from eossl.datasets.bands import band_names
from eossl.testing import make_fake_sen12ms

CORRUPT = ('ROIs1868_summer', 146, 202)
PATCHES = [('ROIs1158_spring', 1, 30), ('ROIs1158_spring', 1, 31), ('ROIs1970_fall', 7, 3),
           CORRUPT, ('ROIs1868_summer', 146, 203)]


def ids(dataset):
    return [dataset[i]['sample_id'] for i in range(len(dataset))]


def patch_file(root, key, mod):
    season, scene, patch = key
    return Path(root) / season / f'{mod}_{scene}' / f'{season}_{mod}_{scene}_p{patch}.tif'


@pytest.fixture
def fake(tmp_path):
    make_fake_sen12ms(tmp_path, size=4, patches=PATCHES)
    return tmp_path


def test_triplets_and_band_names(fake):
    dataset = SEN12MS(fake, modalities=('lc', 's2', 's1'))
    assert ids(dataset) == ['ROIs1158_spring_1_p30', 'ROIs1158_spring_1_p31',
                            'ROIs1868_summer_146_p203', 'ROIs1970_fall_7_p3']
    item = dataset[3]
    assert item['paths'] == {mod: str(patch_file(fake, ('ROIs1970_fall', 7, 3), mod))
                             for mod in ('s1', 's2', 'lc')}
    assert item['bands'] == {'s1': ('VV', 'VH'), 's2': band_names('s2_l1c'),
                             'lc': ('IGBP', 'LCCS-LC', 'LCCS-LU', 'LCCS-SH')}
    assert len(item['bands']['s2']) == 13 and item['bands']['s2'][8] == 'B8A'
    assert (item['season'], item['scene']) == ('ROIs1970_fall', 7)


def test_corrupt_patch_excluded_by_default_with_its_triplet(fake):
    assert 'ROIs1868_summer_146_p202' in ids(SEN12MS(fake, exclude=()))
    for file in [patch_file(fake, CORRUPT, mod) for mod in ('s1', 's2')]:
        file.write_bytes(b'corrupt')
    patch_file(fake, CORRUPT, 'lc').unlink()
    dataset = SEN12MS(fake, modalities=('s1', 's2', 'lc'))
    assert 'ROIs1868_summer_146_p202' not in ids(dataset) and dataset.invalid_samples == {}
    with pytest.raises(InvalidSampleError, match='p202.tif is missing'):
        SEN12MS(fake, modalities=('s1', 's2', 'lc'), exclude=())
    whole_scene = SEN12MS(fake, exclude=('ROIs1868_summer/s1_146', ))
    assert [i for i in ids(whole_scene) if i.startswith('ROIs1868')] == []
    by_sample_id = SEN12MS(fake, modalities=('s1', 's2', 'lc'), skip_invalid=True,
                           exclude=('ROIs1868_summer_146_p203', ))
    assert 'ROIs1868_summer_146_p203' not in ids(by_sample_id)
    assert list(by_sample_id.invalid_samples) == ['ROIs1868_summer_146_p202']


def test_single_modality_ignores_the_other_folders(fake):
    for key in PATCHES:
        patch_file(fake, key, 's1').unlink()
    dataset = SEN12MS(fake, modalities=('s2', ))
    assert len(dataset) == 4 and set(dataset[0]['paths']) == {'s2'}


def test_incomplete_triplet(fake):
    missing = patch_file(fake, PATCHES[1], 's1')
    missing.unlink()
    with pytest.raises(InvalidSampleError, match=f'{missing} is missing'):
        SEN12MS(fake)
    dataset = SEN12MS(fake, skip_invalid=True)
    assert len(dataset) == 3 and list(dataset.invalid_samples) == ['ROIs1158_spring_1_p31']


def test_split_file_in_the_official_forms(fake):
    (fake / 'test_list.txt').write_text('ROIs1158_spring_s2_1_p31.tif\nROIs1970_fall/s1_7\n'
                                        'ROIs1868_summer_s1_146_p202.tif\n'
                                        'ROIs1868_summer_146_p203\n')
    dataset = SEN12MS(fake, split_file='test_list.txt')
    assert ids(dataset) == ['ROIs1158_spring_1_p31', 'ROIs1868_summer_146_p203',
                            'ROIs1970_fall_7_p3']


@pytest.mark.parametrize('line, error, message', [
    ('ROIs1158_spring_s2_1_p99.tif', InvalidSampleError, 'line 2: .*p99.tif is not on disk'),
    ('ROIs2017_winter/s1_5', InvalidSampleError, 'line 2: ROIs2017_winter/s1_5 is not on disk'),
    ('spring_patch_30', ValueError, "line 2: 'spring_patch_30' is neither a SEN12MS patch"),
    ('ROIs9999_monsoon_s2_1_p30.tif', ValueError, 'is neither a SEN12MS patch'),
])
def test_bad_split_entries(fake, line, error, message):
    (fake / 'split.txt').write_text(f'ROIs1158_spring_s2_1_p30.tif\n{line}\n')
    with pytest.raises(error, match=message):
        SEN12MS(fake, split_file='split.txt')
    if error is InvalidSampleError:
        dataset = SEN12MS(fake, split_file='split.txt', skip_invalid=True)
        assert ids(dataset) == ['ROIs1158_spring_1_p30'] and list(dataset.invalid_samples) == [line]


def test_empty_or_missing_root(tmp_path):
    with pytest.raises(FileNotFoundError, match='SEN12MS root .*nowhere does not exist'):
        SEN12MS(tmp_path / 'nowhere')
    with pytest.raises(FileNotFoundError, match='holds none of the season folders'):
        SEN12MS(tmp_path)
    (tmp_path / 'ROIs1158_spring' / 's2_1').mkdir(parents=True)
    with pytest.raises(FileNotFoundError, match='no patch of modalities'):
        SEN12MS(tmp_path)


@pytest.mark.parametrize('kwargs, message', [
    (dict(modalities=('s2', 'dfc')), 'modalities'),
    (dict(exclude=('ROIs1868_summer_p202', )), 'exclude entry'),
])
def test_bad_arguments(tmp_path, kwargs, message):
    with pytest.raises(ValueError, match=message):
        SEN12MS(tmp_path, **kwargs)


def test_end_to_end_with_the_loader(fake):
    """Runs once ``eossl.datasets.transforms.loading`` exists (written in parallel); the loader
    selects bands of the multi-band files by the names the items record."""
    loading = pytest.importorskip('eossl.datasets.transforms.loading')
    dataset = SEN12MS(fake, pipeline=[loading.LoadPairedModalities(
        modalities=dict(s1=dict(bands=('VH', )), s2=dict(bands=('B4', 'B3', 'B2'))))])
    sample = dataset[0]
    assert sample['s1'].shape == (1, 4, 4) and sample['s2'].shape == (3, 4, 4)
    assert sample['s2_bands'] == ('B4', 'B3', 'B2')
    with rasterio.open(sample['paths']['s2']) as src:  # B4 is the file's 4th band (L1C order)
        np.testing.assert_array_equal(sample['s2'][0], src.read(4).astype(np.float32))
