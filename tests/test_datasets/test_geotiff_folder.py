"""GeoTiffFolder: multi-band files and band folders, folder labels, and bad input."""
import pytest

from eossl.datasets import GeoTiffFolder, InvalidSampleError
from eossl.testing import make_fake_geotiff_folder

BANDS = ('B2', 'B3', 'B4', 'B8')


def items(dataset):
    return [dataset[i] for i in range(len(dataset))]


def test_multiband_files_labelled_by_folder(tmp_path):
    files = make_fake_geotiff_folder(tmp_path, band_names=BANDS, size=4)
    dataset = GeoTiffFolder(tmp_path, band_names=BANDS, modality='s2', class_from_folder=True)
    assert dataset.metainfo['classes'] == ('forest', 'water')
    assert [(i['sample_id'], i['gt_label']) for i in items(dataset)] == [
        ('forest/sample_0', [0]), ('forest/sample_1', [0]), ('water/sample_0', [1]),
        ('water/sample_1', [1])]
    assert [i['paths'] for i in items(dataset)] == [{'s2': str(f)} for f in files]
    assert items(dataset)[0]['bands'] == {'s2': BANDS}


def test_explicit_classes_order_and_unknown_folder(tmp_path):
    make_fake_geotiff_folder(tmp_path, size=4, classes=('forest', 'water', 'urban'))
    with pytest.raises(InvalidSampleError, match="folder 'urban' is not one of the classes"):
        GeoTiffFolder(tmp_path, BANDS, class_from_folder=True, classes=('water', 'forest'))
    dataset = GeoTiffFolder(tmp_path, BANDS, class_from_folder=True, classes=('water', 'forest'),
                            skip_invalid=True)
    assert {i['sample_id']: i['gt_label'][0] for i in items(dataset)} == {
        'forest/sample_0': 1, 'forest/sample_1': 1, 'water/sample_0': 0, 'water/sample_1': 0}
    assert sorted(dataset.invalid_samples) == ['urban/sample_0', 'urban/sample_1']
    assert dataset.metainfo['classes'] == ('water', 'forest')


def test_unlabelled_files_and_pattern(tmp_path):
    make_fake_geotiff_folder(tmp_path, size=4, classes=(), samples_per_class=3)
    (tmp_path / 'notes.txt').write_text('not an image')
    dataset = GeoTiffFolder(tmp_path, BANDS, pattern='sample_[01].tif')
    assert [i['sample_id'] for i in items(dataset)] == ['sample_0', 'sample_1']
    assert 'gt_label' not in dataset[0]
    with pytest.raises(InvalidSampleError, match='not inside a class folder'):
        GeoTiffFolder(tmp_path, BANDS, class_from_folder=True)


def test_band_files_layout(tmp_path):
    folders = make_fake_geotiff_folder(tmp_path, size=4, layout='band_files')
    dataset = GeoTiffFolder(tmp_path, BANDS, layout='band_files', pattern='*/*',
                            class_from_folder=True)
    first = dataset[0]
    assert first['sample_id'] == 'forest/sample_0' and first['gt_label'] == [0]
    assert first['paths'] == {'img': {b: str(folders[0] / f'{b}.tif') for b in BANDS}}
    missing = folders[3] / 'B8.tif'
    missing.unlink()
    with pytest.raises(InvalidSampleError, match=f'{missing} is missing'):
        GeoTiffFolder(tmp_path, BANDS, layout='band_files', pattern='*/*')
    dataset = GeoTiffFolder(tmp_path, BANDS, layout='band_files', pattern='*/*',
                            skip_invalid=True)
    assert len(dataset) == 3 and list(dataset.invalid_samples) == ['water/sample_1']


def test_nothing_matches(tmp_path):
    with pytest.raises(FileNotFoundError, match=f"no file under {tmp_path} matches .*'\\*\\*/"):
        GeoTiffFolder(tmp_path, BANDS)
    make_fake_geotiff_folder(tmp_path, size=4)
    with pytest.raises(FileNotFoundError, match="no folder under .* matches the pattern '\\*'"):
        GeoTiffFolder(tmp_path / 'forest', BANDS, layout='band_files')
    with pytest.raises(FileNotFoundError, match='GeoTiffFolder root'):
        GeoTiffFolder(tmp_path / 'nowhere', BANDS)


@pytest.mark.parametrize('kwargs', [dict(band_names='B2'), dict(band_names=()),
                                    dict(band_names=('B2', 'B2')), dict(layout='stack'),
                                    dict(classes=('a', ))])
def test_bad_arguments(tmp_path, kwargs):
    with pytest.raises(ValueError, match='GeoTiffFolder'):
        GeoTiffFolder(tmp_path, **{'band_names': BANDS, **kwargs})


def test_end_to_end_with_the_loader(tmp_path):
    """Runs once ``eossl.datasets.transforms.loading`` exists (written in parallel)."""
    loading = pytest.importorskip('eossl.datasets.transforms.loading')
    make_fake_geotiff_folder(tmp_path, size=4)
    dataset = GeoTiffFolder(tmp_path, BANDS, pipeline=[loading.LoadMultiBandImage(
        modality='img', bands=('B8', 'B4'))])
    assert dataset[0]['img'].shape == (2, 4, 4) and dataset[0]['img_bands'] == ('B8', 'B4')
