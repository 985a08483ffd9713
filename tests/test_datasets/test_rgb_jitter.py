"""RandomRGBColorJitter: the official PerA colour jitter of one branch on R, G, B arrays."""
import numpy as np
import pytest
import torch
import torchvision.transforms.functional as F

from eossl.datasets.transforms import RandomRGBColorJitter
from eossl.registry import TRANSFORMS


def rgb(size: int = 8, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(0, 10000, (3, size, size)).astype(np.float32)


def test_ops_run_in_the_drawn_order_on_clipped_unit_values():
    jitter = RandomRGBColorJitter(max_value=10000)
    source = rgb()
    source[0, 0, 0] = 12000  # above full intensity: clipped first, as an 8-bit image is bounded
    params = dict(gray=False, order=['hue', 'brightness', 'saturation', 'contrast'],
                  brightness=1.3, contrast=0.7, saturation=1.1, hue=0.05)
    expected = torch.from_numpy(np.clip(source / 10000, 0, 1))
    for name in params['order']:
        expected = getattr(F, f'adjust_{name}')(expected, params[name])
    out = jitter.apply(source, params, 1.0)
    np.testing.assert_allclose(out, expected.numpy() * 10000, rtol=1e-5, atol=1e-2)
    reordered = jitter.apply(source, dict(params, order=params['order'][::-1]), 1.0)
    assert not np.allclose(out, reordered)  # the order matters, so it is drawn


def test_grayscale_nodata_and_skipping():
    jitter = TRANSFORMS.build(dict(type='RandomRGBColorJitter', prob=1.0, gray_prob=1.0,
                                   max_value=10000))
    source = rgb()
    source[:, 2, 2] = np.nan
    out = jitter.transform(dict(img=source))['img']
    assert np.isnan(out[:, 2, 2]).all() and np.isfinite(np.delete(out.reshape(3, -1), 18, 1)).all()
    np.testing.assert_allclose(out[0], out[1])  # luma copied to the three channels
    never = RandomRGBColorJitter(prob=0.0)
    np.testing.assert_array_equal(never.transform(dict(img=source.copy()))['img'], source)


def test_draws_follow_the_official_ranges_and_orders():
    jitter = RandomRGBColorJitter(brightness=0.4, contrast=0.4, saturation=0.2, hue=0.1,
                                  gray_prob=0.1)
    np.random.seed(0)
    draws = [jitter.draw(3) for _ in range(3000)]
    gray = np.mean([d['gray'] for d in draws])
    assert 0.08 < gray < 0.12
    factors = np.array([[d[n] for n in ('brightness', 'contrast', 'saturation', 'hue')]
                        for d in draws if not d['gray']])
    assert np.allclose(factors.min(0), [0.6, 0.6, 0.8, -0.1], atol=0.01)
    assert np.allclose(factors.max(0), [1.4, 1.4, 1.2, 0.1], atol=0.01)
    assert len({tuple(d['order']) for d in draws if not d['gray']}) == 24
    fixed = RandomRGBColorJitter(saturation=0, random_order=False)
    assert fixed.draw(3)['order'] == ['brightness', 'contrast', 'hue']


@pytest.mark.parametrize('kwargs, match', [
    (dict(hue=0.6), 'hue'), (dict(brightness=-1), 'brightness'), (dict(gray_prob=2), 'gray_prob'),
    (dict(max_value=0), 'max_value')])
def test_bad_settings_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        RandomRGBColorJitter(**kwargs)


def test_other_band_counts_are_refused_with_the_band_safe_alternative():
    with pytest.raises(ValueError, match='RandomBandBrightnessContrast'):
        RandomRGBColorJitter(prob=1.0).transform(dict(img=np.ones((13, 4, 4), np.float32)))
