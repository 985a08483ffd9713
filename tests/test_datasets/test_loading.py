"""LoadMultiBandImage / LoadPairedModalities: band selection, resampling, windows, nodata."""
import os

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from eossl.datasets.bands import band_name_from_filename, stored_band_order
from eossl.datasets.errors import InvalidSampleError
from eossl.datasets.transforms import LoadMultiBandImage, LoadPairedModalities
from eossl.registry import TRANSFORMS


def reference_resize(band: np.ndarray, size: tuple[int, int], mode: str) -> np.ndarray:
    """torch's antialiased interpolation (half-pixel centres), an independent reference."""
    tensor = torch.from_numpy(band.astype(np.float32))[None, None]
    if mode == 'nearest':
        return F.interpolate(tensor, size=size, mode='nearest')[0, 0].numpy()
    return F.interpolate(tensor, size=size, mode=mode, align_corners=False,
                         antialias=True)[0, 0].numpy()


@pytest.fixture
def s2_patch(geotiff):
    """One patch as three band files at 10 m (12 px), 20 m (6 px) and 60 m (2 px)."""
    rng = np.random.default_rng(0)
    arrays = {'B02': rng.integers(1, 5000, (12, 12)).astype(np.uint16),
              'B05': rng.integers(1, 5000, (6, 6)).astype(np.uint16),
              'B01': rng.integers(1, 5000, (2, 2)).astype(np.uint16)}
    pixel = {'B02': 10, 'B05': 20, 'B01': 60}
    files = {b: geotiff(f'patch_{b}.tif', a, pixel_size=pixel[b]) for b, a in arrays.items()}
    return files, arrays


def load(source, **kwargs) -> dict:
    return LoadMultiBandImage(modality='s2', **kwargs)({'paths': {'s2': source},
                                                        'sample_id': 'patch'})


def test_band_files_resampled_to_the_finest_grid(s2_patch):
    files, arrays = s2_patch
    results = load(files, resample='nearest')
    img = results['img']
    assert img.shape == (3, 12, 12) and img.dtype == np.float32
    assert results['img_bands'] == ('B1', 'B2', 'B5')  # canonical order, names normalized
    assert results['img_shape'] == (12, 12)
    np.testing.assert_array_equal(img[1], arrays['B02'])
    np.testing.assert_array_equal(img[2], np.repeat(np.repeat(arrays['B05'], 2, 0), 2, 1))
    np.testing.assert_array_equal(img[0], np.repeat(np.repeat(arrays['B01'], 6, 0), 6, 1))


@pytest.mark.parametrize('mode', ['bilinear', 'bicubic'])
def test_interpolation_matches_torch(s2_patch, mode):
    files, arrays = s2_patch
    img = load(files, bands=['B5', 'B1'], resample=mode, target_size=12)['img']
    np.testing.assert_allclose(img[0], reference_resize(arrays['B05'], (12, 12), mode),
                               rtol=1e-5, atol=1e-2)
    np.testing.assert_allclose(img[1], reference_resize(arrays['B01'], (12, 12), mode),
                               rtol=1e-5, atol=1e-2)


def test_target_size_downsamples_with_antialiasing(s2_patch):
    files, arrays = s2_patch
    img = load(files, bands=['B02', 'B05'], target_size=6)['img']
    assert img.shape == (2, 6, 6)
    np.testing.assert_allclose(img[0], reference_resize(arrays['B02'], (6, 6), 'bilinear'),
                               rtol=1e-5, atol=1e-2)
    np.testing.assert_array_equal(img[1], arrays['B05'])  # already on the target grid


@pytest.mark.parametrize('mode', ['nearest', 'bilinear', 'bicubic'])
@pytest.mark.parametrize('window', [(0, 0, 12, 12), (3, 5, 6, 4), (7, 1, 5, 11), (11, 11, 1, 1)])
def test_window_equals_the_crop_of_a_full_read(s2_patch, mode, window):
    files, _ = s2_patch
    full = load(files, resample=mode)['img']
    part = load(files, resample=mode, window=window)['img']
    row, col, h, w = window
    assert part.shape == (3, h, w)
    np.testing.assert_allclose(part, full[:, row:row + h, col:col + w], rtol=1e-6, atol=1e-3)


def test_multiband_file_selects_by_description(geotiff):
    data = np.arange(3 * 4 * 4, dtype=np.float32).reshape(3, 4, 4)
    path = geotiff('img.tif', data, descriptions=['B04', 'B03', 'B02'])
    results = load(path, bands=['B2', 'b4'])
    assert results['img_bands'] == ('B2', 'B4')
    np.testing.assert_array_equal(results['img'], data[[2, 0]])


def test_unnamed_file_is_named_by_file_bands_or_the_dataset(geotiff):
    data = np.stack([np.full((4, 4), i, np.uint16) for i in range(13)])
    path = geotiff('eurosat.tif', data)
    eurosat = load(path, bands=['B8A', 'B8'], file_bands='eurosat:s2_l1c')['img']
    order = stored_band_order('eurosat', 's2_l1c')
    assert eurosat[:, 0, 0].tolist() == [order.index('B8A'), order.index('B8')]
    declared = LoadMultiBandImage(modality='s2', bands=['B12'])(
        {'paths': {'s2': path}, 'bands': {'s2': list(order)}})['img']
    assert declared[0, 0, 0] == order.index('B12')
    whole = load(path)
    assert whole['img_bands'][:2] == ('1', '2') and whole['img'].shape == (13, 4, 4)


def test_declared_nodata_and_nodata_argument_become_nan(geotiff):
    data = np.full((1, 4, 4), 7, np.int16)
    data[0, 0, 0] = -1
    data[0, 1, 1] = 0
    from_file = load(geotiff('a.tif', data, nodata=-1))['img']
    assert np.isnan(from_file[0, 0, 0]) and np.isnan(from_file).sum() == 1
    from_arg = load(geotiff('b.tif', data, nodata=-1), nodata=0)['img']
    assert np.isnan(from_arg[0, 1, 1]) and np.isnan(from_arg).sum() == 1


def test_upsampled_nodata_stays_local(geotiff):
    coarse = np.full((4, 4), 100, np.uint16)
    coarse[0, 0] = 0
    files = {'B2': geotiff('b2.tif', np.ones((8, 8), np.uint16)),
             'B5': geotiff('b5.tif', coarse, pixel_size=20, nodata=0)}
    img = load(files, bands=['B5'], target_size=8)['img'][0]
    assert np.isnan(img[:2, :2]).all()  # the nodata pixel's own footprint
    assert np.isnan(img).sum() == 4
    assert np.all(img[~np.isnan(img)] == 100)  # neighbours mix only valid pixels


def test_raw_nan_and_inf(geotiff):
    data = np.ones((1, 4, 4), np.float32)
    data[0, 2, 2] = np.nan
    data[0, 3, 3] = np.inf
    path = geotiff('s1_vv.tif', data)
    with pytest.raises(InvalidSampleError, match='s1_vv.tif.*NaN/inf'):
        load(path)
    img = load(path, allow_nan=True)['img']
    assert np.isnan(img[0, 2, 2]) and np.isnan(img[0, 3, 3]) and np.isnan(img).sum() == 2
    declared = load(geotiff('nan_nodata.tif', data[:, :3, :3], nodata=float('nan')))['img']
    assert np.isnan(declared).sum() == 1


def test_bad_files_raise_naming_the_file(tmp_path, geotiff, s2_patch):
    files, _ = s2_patch
    garbage = tmp_path / 'corrupt_B02.tif'
    garbage.write_bytes(b'not a tiff at all')
    truncated = geotiff('truncated_B02.tif', np.ones((64, 64), np.uint16))
    with open(truncated, 'r+b') as file:
        file.truncate(os.path.getsize(truncated) // 2)
    three = geotiff('three_B05.tif', np.ones((3, 6, 6), np.uint16), pixel_size=20)
    few = geotiff('few.tif', np.ones((3, 4, 4), np.uint16))
    named = geotiff('named.tif', np.ones((2, 4, 4), np.uint16), descriptions=['B2', 'B3'])
    empty = geotiff('empty.tif', np.zeros((2, 4, 4), np.uint16), nodata=0)
    skewed = geotiff('skewed_B05.tif', np.ones((6, 3), np.uint16), pixel_size=20)
    cases = [
        (lambda: load({**files, 'B02': str(tmp_path / 'gone_B02.tif')}), 'gone_B02.tif.*not found'),
        (lambda: load({**files, 'B02': str(garbage)}), 'corrupt_B02.tif'),
        (lambda: load({'B02': truncated}), 'truncated_B02.tif'),
        (lambda: load({**files, 'B05': three}), 'three_B05.tif: expected 1 band.*found 3'),
        (lambda: load(few, file_bands='s2_l1c'), 'few.tif: expected 13 bands.*found 3'),
        (lambda: load(named, bands=['B4']), r"named.tif: band\(s\) \['B4'\] not present"),
        (lambda: load(few, bands=['B4']), 'few.tif: has 3 unnamed bands.*file_bands'),
        (lambda: load(files, bands=['B8']), r"patch_B0.\.tif.*\['B8'\] requested"),
        (lambda: load(empty), 'empty.tif: every pixel of the patch is nodata'),
        (lambda: load(few, window=(2, 2, 4, 4)), 'few.tif: window'),
        (lambda: load({**files, 'B05': skewed}), 'skewed_B05.tif: grid 6x3'),
    ]
    for call, message in cases:
        with pytest.raises(InvalidSampleError, match=message):
            call()


def test_missing_modality_names_the_sample():
    with pytest.raises(InvalidSampleError, match="'patch'.*no 's2'"):
        LoadMultiBandImage(modality='s2')({'paths': {'s1': 'x.tif'}, 'sample_id': 'patch'})


def test_paired_modalities_share_a_grid(geotiff):
    s2 = {'B2': geotiff('s2_b2.tif', np.ones((12, 12), np.uint16)),
          'B5': geotiff('s2_b5.tif', np.ones((6, 6), np.uint16), pixel_size=20)}
    s1 = geotiff('s1.tif', -np.ones((2, 8, 8), np.float32), pixel_size=15,
                 descriptions=['VV', 'VH'])
    results = {'paths': {'s1': s1, 's2': s2}}
    with pytest.raises(InvalidSampleError, match='s1.tif') as info:
        LoadPairedModalities(dict(s1=dict(), s2=dict()))(dict(results))
    assert 's2_b2.tif' in str(info.value)
    paired = TRANSFORMS.build(dict(type='LoadPairedModalities', target_size=12,
                                   modalities=dict(s1=dict(bands=['VH']), s2=dict())))(results)
    assert paired['s1'].shape == (1, 12, 12) and paired['s2'].shape == (2, 12, 12)
    assert paired['s1_bands'] == ('VH',) and paired['s2_bands'] == ('B2', 'B5')


def _band_files(folder) -> dict[str, str]:
    return {band_name_from_filename(p): str(p) for p in sorted(folder.glob('*.tif'))}


def test_real_bigearthnet_s2_patch(bigearthnet_example):
    import rasterio
    folder = bigearthnet_example / 'BigEarthNet-S2-Example' / 'S2A_MSIL2A_20170613T101031_87_48'
    files = _band_files(folder)
    results = LoadMultiBandImage(modality='s2')({'paths': {'s2': files}})
    img = results['img']
    assert img.shape == (12, 120, 120) and img.dtype == np.float32
    assert results['img_bands'] == stored_band_order('bigearthnet', 's2_l2a')
    with rasterio.open(files['B4']) as src:
        np.testing.assert_array_equal(img[3], src.read(1))
    for band, side in (('B9', 20), ('B11', 60)):  # 60 m and 20 m bands
        with rasterio.open(files[band]) as src:
            coarse = src.read(1)
        assert coarse.shape == (side, side)
        upsampled = img[results['img_bands'].index(band)]
        np.testing.assert_allclose(upsampled, reference_resize(coarse, (120, 120), 'bilinear'),
                                   rtol=1e-5, atol=1e-2)
        assert upsampled.mean() == pytest.approx(coarse.mean(), rel=0.01)
    assert np.isfinite(img).all() and img.min() >= 0


def test_real_bigearthnet_s1_s2_pair(bigearthnet_example):
    patch = '_87_48'
    s1_dir = next((bigearthnet_example / 'BigEarthNet-S1-Example').glob(f'*{patch}'))
    s2_dir = next((bigearthnet_example / 'BigEarthNet-S2-Example').glob(f'*{patch}'))
    results = LoadPairedModalities(dict(s1=dict(bands=['VV', 'VH']),
                                        s2=dict(bands=['B04', 'B03', 'B02', 'B8A'])))(
        {'paths': {'s1': _band_files(s1_dir), 's2': _band_files(s2_dir)}})
    assert results['s1'].shape == (2, 120, 120) and results['s2'].shape == (4, 120, 120)
    assert results['s1_bands'] == ('VV', 'VH')
    assert results['s1'].mean() < 0 < results['s2'].mean()  # dB backscatter vs reflectance
    assert results['s1'][0].mean() > results['s1'][1].mean()  # VV is stronger than VH
