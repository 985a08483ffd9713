"""Geometric transforms: shared parameters across keys, proportional boxes, NaN-aware resizing."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmcv.transforms import Compose
from mmcv.transforms.utils import cache_random_params

from eossl.datasets.errors import InvalidSampleError
from eossl.datasets.transforms import (
    EOCenterCrop,
    EORandomCrop,
    EORandomFlip,
    EORandomResizedCrop,
    EOResize,
    RandomRot90,
)
from eossl.datasets.transforms.geometric import crop_box
from eossl.registry import TRANSFORMS


def paired(size: int = 16, seed: int = 0) -> dict:
    """s2 (4 bands) and s1 (2 bands) on one grid; s1 is a known function of s2's first bands."""
    s2 = np.random.default_rng(seed).random((4, size, size)).astype(np.float32)
    return {'s2': s2, 's1': 5 - s2[:2]}


def test_same_random_parameters_hit_every_key():
    pipeline = Compose([EORandomResizedCrop(8, scale=(0.2, 0.9), keys=('s1', 's2')),
                        EORandomFlip(keys=('s1', 's2')), RandomRot90(keys=('s1', 's2'))])
    seen = set()
    for seed in range(20):
        np.random.seed(seed)
        results = pipeline(paired())
        assert results['s2'].shape == (4, 8, 8) and results['s1'].shape == (2, 8, 8)
        np.testing.assert_allclose(results['s1'], 5 - results['s2'][:2], atol=1e-5)
        seen.add(results['s2'].tobytes())
    assert len(seen) == 20  # and the parameters do change between calls


def test_box_is_mapped_proportionally_onto_a_coarser_grid():
    # A linear ramp over the ground: bilinear upsampling reproduces it exactly away from the
    # border, so both grids must give the same field wherever they sample the same ground.
    fine_y, fine_x = np.mgrid[0:16, 0:16] + 0.5  # 1-unit pixels
    coarse_y, coarse_x = np.mgrid[0:8, 0:8] * 2 + 1.0  # 2-unit pixels, same extent
    results = {'fine': (fine_y + 3 * fine_x)[None].astype(np.float32),
               'coarse': (coarse_y + 3 * coarse_x)[None].astype(np.float32)}
    crop = EORandomResizedCrop(16, scale=(0.3, 0.7), keys=('fine', 'coarse'))
    for seed in range(10):
        np.random.seed(seed)
        with cache_random_params(crop):
            top, left, h, w = crop.cached_box(16, 16, results)
            out = crop(dict(results))
        y = top + (np.arange(16) + 0.5) * h / 16  # output pixel centres on the ground
        x = left + (np.arange(16) + 0.5) * w / 16
        interior = np.outer((y > 3) & (y < 13), (x > 3) & (x < 13))
        expected = (y[:, None] + 3 * x[None, :])[interior]
        np.testing.assert_allclose(out['fine'][0][interior], expected, rtol=1e-5)
        np.testing.assert_allclose(out['coarse'][0][interior], expected, rtol=1e-5)
        assert interior.sum() > 16


def test_random_resized_crop_box_respects_scale_and_ratio():
    crop = EORandomResizedCrop(4, scale=(0.25, 0.5), ratio=(0.5, 2.0))
    for seed in range(50):
        np.random.seed(seed)
        top, left, h, w = crop.box(20, 30, {})
        assert 0 <= top and top + h <= 20 and 0 <= left and left + w <= 30
        assert 0.2 <= h * w / 600 <= 0.55 and 0.4 <= w / h <= 2.5  # rounding slack
    impossible = EORandomResizedCrop(4, scale=(0.9, 1.0), ratio=(1.0, 1.0))
    assert impossible.box(4, 40, {}) == (0, 18, 4, 4)  # fallback: centred, ratio clamped


def test_random_crop_slices_and_maps_other_grids():
    base = np.arange(2 * 16 * 16, dtype=np.float32).reshape(2, 16, 16)
    coarse = base[:, ::2, ::2].copy()
    crop = EORandomCrop(6, keys=('img', 'coarse'), resample='nearest')
    for seed in range(10):
        np.random.seed(seed)
        out = crop({'img': base, 'coarse': coarse})
        top, left = divmod(int(out['img'][0, 0, 0]), 16)
        np.testing.assert_array_equal(out['img'], base[:, top:top + 6, left:left + 6])
        assert out['coarse'].shape == (2, 3, 3)
        np.testing.assert_array_equal(out['coarse'],
                                      crop_box(coarse, (top, left, 6, 6), (16, 16), None,
                                               'nearest'))
        if top % 2 == 0 and left % 2 == 0:  # integer box on the coarse grid: a plain slice
            np.testing.assert_array_equal(
                out['coarse'], coarse[:, top // 2:top // 2 + 3, left // 2:left // 2 + 3])
    with pytest.raises(InvalidSampleError, match="'tiny'.*smaller than the crop"):
        EORandomCrop(8)({'img': base[:, :4, :4], 'sample_id': 'tiny'})


def test_center_crop():
    base = np.arange(3 * 12 * 12, dtype=np.float32).reshape(3, 12, 12)
    half = base[:1, ::2, ::2].copy()
    out = TRANSFORMS.build(dict(type='EOCenterCrop', size=(4, 6), keys=('img', 'half')))(
        {'img': base, 'half': half})
    np.testing.assert_array_equal(out['img'], base[:, 4:8, 3:9])
    assert out['img_shape'] == (4, 6) and out['half'].shape == (1, 2, 3)
    square = EOCenterCrop(4, keys=('img', 'half'))({'img': base, 'half': half})
    np.testing.assert_array_equal(square['half'], half[:, 2:4, 2:4])  # same ground extent


def test_resize_matches_torch_and_keeps_band_count():
    image = np.random.default_rng(1).random((15, 12, 12)).astype(np.float32)
    for size in ((6, 6), (20, 16)):
        out = EOResize(size)({'img': image})['img']
        reference = F.interpolate(torch.from_numpy(image)[None], size=size, mode='bilinear',
                                  align_corners=False, antialias=True)[0].numpy()
        np.testing.assert_allclose(out, reference, atol=1e-5)


def test_resize_does_not_smear_nan():
    image = np.ones((2, 8, 8), np.float32)
    image[:, 2:4, 2:4] = np.nan  # one 2x2 block: exactly one output pixel after halving
    image[1] *= 3
    down = EOResize(4)({'img': image.copy()})['img']
    assert np.isnan(down).sum() == 2 and np.isnan(down[:, 1, 1]).all()
    np.testing.assert_allclose(down[0][~np.isnan(down[0])], 1.0)
    np.testing.assert_allclose(down[1][~np.isnan(down[1])], 3.0)
    up = EOResize(16)({'img': image.copy()})['img']
    assert np.isnan(up[0]).sum() == 16  # the block's own footprint, no halo
    np.testing.assert_allclose(up[0][~np.isnan(up[0])], 1.0)


def test_flip_directions_and_probability():
    image = np.random.default_rng(2).random((3, 5, 7)).astype(np.float32)
    both = EORandomFlip(prob=1.0, keys=('a', 'b'))({'a': image, 'b': image[:1]})
    np.testing.assert_array_equal(both['a'], image[:, ::-1, ::-1])
    np.testing.assert_array_equal(both['b'], image[:1, ::-1, ::-1])
    assert both['flip'] and both['flip_direction'] == ('horizontal', 'vertical')
    horizontal = EORandomFlip(prob=1.0, direction='horizontal')({'img': image})
    np.testing.assert_array_equal(horizontal['img'], image[:, :, ::-1])
    never = EORandomFlip(prob=0.0)({'img': image})
    assert not never['flip'] and never['img'] is not None
    np.testing.assert_array_equal(never['img'], image)
    with pytest.raises(ValueError, match='diagonal'):
        EORandomFlip(direction='diagonal')


def test_rot90_turns_all_keys_alike():
    image = np.random.default_rng(3).random((2, 4, 6)).astype(np.float32)
    rot = RandomRot90(prob=1.0, keys=('a', 'b'))
    turns = set()
    for seed in range(30):
        np.random.seed(seed)
        out = rot({'a': image, 'b': image[::-1].copy()})
        k = out['rot90']
        turns.add(k)
        np.testing.assert_array_equal(out['a'], np.rot90(image, k, axes=(1, 2)))
        np.testing.assert_array_equal(out['b'], np.rot90(image[::-1], k, axes=(1, 2)))
        assert out['a_shape'] == ((6, 4) if k % 2 else (4, 6))
    assert turns == {1, 2, 3}
    assert RandomRot90(prob=0.0)({'img': image})['rot90'] == 0


def test_missing_or_malformed_keys_are_named():
    with pytest.raises(KeyError, match="'s1'"):
        EORandomFlip(keys=('s1',))({'img': np.zeros((1, 2, 2))})
    with pytest.raises(ValueError, match=r"results\['img'\].*\(C, H, W\)"):
        EOCenterCrop(2)({'img': np.zeros((4, 4))})
