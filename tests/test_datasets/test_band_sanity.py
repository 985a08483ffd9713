"""A file whose own band descriptions contradict the declared band names is flagged (warning by
default, error by option), and raw values outside the band table's valid range (a finite 3e38)
are read as nodata (or refused) instead of reaching the model as 1e36 after normalisation."""
import numpy as np
import pytest

from eossl.datasets.bands import valid_range
from eossl.datasets.errors import InvalidSampleError
from eossl.datasets.transforms import LoadMultiBandImage, loading
from eossl.testing.geotiff_folder import write_geotiff

DECLARED = ('B2', 'B3', 'B4')


@pytest.fixture
def logged(monkeypatch):
    messages = []
    monkeypatch.setattr(loading, 'print_log', lambda message, **kw: messages.append(message))
    return messages


def _file(tmp_path, array=None, band_names=('B4', 'B3', 'B2')):
    array = np.arange(3 * 8 * 8, dtype=np.float32).reshape(3, 8, 8) if array is None else array
    return str(write_geotiff(tmp_path / 'x.tif', array, band_names=band_names))


def _load(path, **kwargs) -> dict:
    loader = LoadMultiBandImage(modality='s2', file_bands=DECLARED, **kwargs)
    return loader({'paths': {'s2': path}, 'sample_id': 'x'})


def test_contradicting_descriptions_warn_once_by_default(tmp_path, logged):
    path = _file(tmp_path)
    loader = LoadMultiBandImage(modality='s2', file_bands=DECLARED)
    for _ in range(3):
        out = loader({'paths': {'s2': path}})
    assert out['img_bands'] == DECLARED  # read in the declared order
    assert logged == [f'{path}: the file describes its bands as B4, B3, B2, but they are '
                      "declared as B2, B3, B4 (file_bands or the dataset's band order); reading "
                      "them in the declared order (band_descriptions='error' refuses such "
                      'files; this warning is shown once)']


def test_contradicting_descriptions_are_an_error_by_option(tmp_path):
    with pytest.raises(InvalidSampleError, match=r'x\.tif: the file describes its bands as B4, '
                       r'B3, B2, but they are declared as B2, B3, B4 .*fix the declaration'):
        _load(_file(tmp_path), band_descriptions='error')


def test_matching_or_free_text_descriptions_pass_silently(tmp_path, logged):
    _load(_file(tmp_path, band_names=DECLARED), band_descriptions='error')
    (tmp_path / 'x.tif').unlink()
    _load(_file(tmp_path, band_names=('Band 1', 'Band 2', 'Band 3')), band_descriptions='error')
    assert logged == []


def test_values_outside_the_band_table_range_become_nodata(tmp_path, logged):
    assert valid_range('B2') == (-2000.0, 65535.0) and valid_range('VV') == (-100.0, 100.0)
    array = np.full((3, 8, 8), 1000.0, dtype=np.float32)
    array[1, 2, 3] = 3e38
    out = _load(_file(tmp_path, array, band_names=DECLARED))['img']
    assert np.isnan(out[1, 2, 3]) and np.isfinite(out).sum() == 3 * 64 - 1
    assert logged == [f'{tmp_path / "x.tif"}: band 2 (B3) has 1 pixel(s) outside its valid range '
                      "[-2000, 65535] (e.g. 3e+38); read as nodata (out_of_range='error' "
                      'refuses such files)']
    with pytest.raises(InvalidSampleError, match=r"band 2 \(B3\) has 1 pixel\(s\) outside its "
                       r"valid range \[-2000, 65535\] \(e\.g\. 3e\+38\); out_of_range='error'"):
        _load(str(tmp_path / 'x.tif'), out_of_range='error')
    kept = _load(str(tmp_path / 'x.tif'), out_of_range='keep')['img']
    assert kept[1, 2, 3] == np.float32(3e38)


def test_a_broken_pixel_is_masked_before_resampling_spreads_it(tmp_path, logged):
    array = np.full((3, 8, 8), 1000.0, dtype=np.float32)
    array[0, 4, 4] = 3e38
    out = _load(_file(tmp_path, array, band_names=DECLARED), target_size=16)['img']
    assert np.nanmax(out) == pytest.approx(1000.0)  # no neighbour holds a share of 3e38
