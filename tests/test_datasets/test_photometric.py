"""Band-safe photometric transforms and the Dual-SimCLR value scaling."""
import numpy as np
import pytest
from scipy.ndimage import gaussian_filter

from eossl.datasets.transforms import (
    ClipValues,
    PerSampleMaxNormalize,
    RandomBandBrightnessContrast,
    RandomBandDropout,
    RandomGaussianBlur,
    RandomGrayscaleEO,
)
from eossl.registry import TRANSFORMS


def image(bands: int = 6, size: int = 10, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    levels = rng.uniform(100, 3000, (bands, 1, 1))
    return (levels + rng.normal(0, 200, (bands, size, size))).astype(np.float32)


def band_mean_std(array: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return np.nanmean(array, axis=(1, 2)), np.nanstd(array, axis=(1, 2))


@pytest.mark.parametrize('per_band', [True, False])
def test_brightness_contrast_acts_around_each_band_mean(per_band):
    source = image()
    source[2, 3, 3] = np.nan
    jitter = RandomBandBrightnessContrast(brightness=0.3, contrast=0.2, prob=1.0,
                                          per_band=per_band, keys=('img', 'copy', 'few'))
    np.random.seed(0)
    out = jitter({'img': source.copy(), 'copy': source.copy(), 'few': source[:2].copy()})
    mean, std = band_mean_std(source)
    new_mean, new_std = band_mean_std(out['img'])
    brightness, contrast = new_mean / mean, new_std / std
    assert np.all(np.abs(brightness - 1) <= 0.3 + 1e-5)
    assert np.all(np.abs(contrast - 1) <= 0.2 + 1e-5)
    assert (np.ptp(brightness) > 1e-3) == per_band  # one factor per band, or one for all
    np.testing.assert_array_equal(out['copy'], out['img'])  # same draw for every key
    np.testing.assert_array_equal(out['few'], out['img'][:2])
    assert np.isnan(out['img']).sum() == 1 and np.isnan(out['img'][2, 3, 3])


def test_brightness_contrast_skipped_with_probability_zero():
    source = image()
    out = RandomBandBrightnessContrast(prob=0.0)({'img': source.copy()})
    np.testing.assert_array_equal(out['img'], source)


def test_blur_matches_scipy_and_scales_sigma_per_grid():
    source = image(size=16)
    blur = RandomGaussianBlur(sigma=(1.5, 1.5), prob=1.0, keys=('img', 'coarse'))
    out = blur({'img': source.copy(), 'coarse': source[:2, ::2, ::2].copy()})
    np.testing.assert_allclose(out['img'], gaussian_filter(source, (0, 1.5, 1.5),
                                                           mode='reflect'), rtol=1e-5)
    np.testing.assert_allclose(out['coarse'], gaussian_filter(source[:2, ::2, ::2],
                                                              (0, 0.75, 0.75), mode='reflect'),
                               rtol=1e-5)


def test_blur_neither_spreads_nor_darkens_around_nodata():
    flat = np.full((2, 9, 9), 50.0, np.float32)
    flat[:, 4, 4] = np.nan
    out = RandomGaussianBlur(sigma=(2.0, 2.0), prob=1.0)({'img': flat})['img']
    assert np.isnan(out).sum() == 2 and np.isnan(out[:, 4, 4]).all()
    np.testing.assert_allclose(out[~np.isnan(out)], 50.0, rtol=1e-6)


def test_band_dropout_blanks_whole_bands_alike_on_every_key():
    source = image(bands=5)
    dropout = RandomBandDropout(prob=1.0, max_bands=3, keys=('img', 'copy', 'pair'))
    counts = set()
    for seed in range(30):
        np.random.seed(seed)
        out = dropout({'img': source.copy(), 'copy': source.copy(), 'pair': source[:2].copy()})
        dropped = np.isnan(out['img']).all(axis=(1, 2))
        kept = ~np.isnan(out['img']).any(axis=(1, 2))
        assert np.all(dropped | kept) and 1 <= dropped.sum() <= 3
        np.testing.assert_array_equal(out['img'][kept], source[kept])
        np.testing.assert_array_equal(out['copy'], out['img'])
        assert (~np.isnan(out['pair']).any(axis=(1, 2))).sum() >= 1  # one band always survives
        counts.add(int(dropped.sum()))
    assert counts == {1, 2, 3}
    zeroed = RandomBandDropout(prob=1.0, max_bands=1, fill_value=0.0)({'img': source.copy()})
    assert (zeroed['img'] == 0).all(axis=(1, 2)).sum() == 1


def test_grayscale_is_the_equal_weight_band_mean():
    source = image(bands=4)
    source[1, 0, 0] = np.nan
    source[:, 5, 5] = np.nan
    out = RandomGrayscaleEO(prob=1.0)({'img': source.copy()})['img']
    expected = np.nanmean(np.where(np.isnan(source), np.nan, source), axis=0)
    for band in out:
        np.testing.assert_allclose(band[~np.isnan(expected)], expected[~np.isnan(expected)],
                                   rtol=1e-6)
    assert np.isnan(out[:, 5, 5]).all() and not np.isnan(out[:, 0, 0]).any()


def test_dual_simclr_scaling():
    s1 = np.array([[[-40.0, -25.0], [-12.5, 3.0]], [[-20.0, np.nan], [0.0, -30.0]]], np.float32)
    s2 = np.array([[[0.0, 5000.0], [12000.0, -5.0]], [[0.0, 0.0], [0.0, 0.0]]], np.float32)
    results = {'s1': s1, 's2': s2}
    results = TRANSFORMS.build(dict(type='ClipValues', keys=('s1',), min=-25, max=0,
                                    offset=25))(results)
    np.testing.assert_array_equal(results['s1'][0], [[0, 0], [12.5, 25]])
    assert np.isnan(results['s1'][1, 0, 1])
    results = ClipValues('s2', 0, 10000)(results)
    np.testing.assert_array_equal(results['s2'][0], [[0, 5000], [10000, 0]])
    results = PerSampleMaxNormalize(keys=('s1', 's2'))(results)
    np.testing.assert_allclose(results['s1'][0], [[0, 0], [0.5, 1]])
    np.testing.assert_allclose(results['s1'][1], [[5 / 25, np.nan], [1, 0]])
    np.testing.assert_array_equal(results['s2'][1], 0)  # an all-zero band is left alone
    with pytest.raises(ValueError, match='min=1 is greater than max=0'):
        ClipValues('img', 1, 0)
