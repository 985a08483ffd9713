"""Dual-SimCLR views: eossl's shipped SEN12MS pipeline vs the official ``DFCDataset`` draws.

``tests/data/parity/dual_simclr_views.npz`` (``eossl-parity-references --ssltrs``, see
:func:`eossl.parity.dual_simclr.views`) holds 2000 official training samples: the crop offsets
``(x, y)`` of the 128 px window and the per-band maxima of the returned S1 / S2 views. The
official pipeline has no other randomness (no flips, no jitter), so these are the whole view
distribution. No official code is imported here.

Tests and power: the offsets are compared with a two-sample Kolmogorov–Smirnov test per axis
(2000 vs 2000 draws, α = 0.001: it rejects a CDF difference ≥ 0.08 with power ≥ 0.9) and by
their support (the official code never draws offset 256 − 128 = 128: eossl's default crop
would draw it in 2000 draws with probability 1 − (128/129)^2000 > 0.999999). The maxima are
deterministic given the crop (each band divided by its maximum over the crop): both sides
must give 1 within 1e-5 (the official divides by max + 1e-5, eossl by the max).
"""
from pathlib import Path

import numpy as np
from mmengine.config import Config
from scipy.stats import ks_2samp

import eossl
from eossl.registry import TRANSFORMS

ROOT = Path(__file__).parents[2]
REF = np.load(ROOT / 'tests/data/parity/dual_simclr_views.npz')
RECIPE = ROOT / 'configs/dual_simclr/dual_simclr_rn50_s1s2_200e_sen12ms.py'


def pipeline() -> list:
    """The recipe's training transforms after loading and before packing."""
    eossl.register_all_modules()
    steps = Config.fromfile(str(RECIPE)).train_pipeline
    return [TRANSFORMS.build(s) for s in steps
            if s['type'] not in ('LoadPairedModalities', 'PackEOInputs')]


def scene(rng: np.random.Generator) -> dict:
    """A patch whose values grow to the right: a crop's maximum depends on where it is."""
    ramp = np.arange(1, 257, dtype=np.float32) / 256
    return {'s1': (-25 + 25 * ramp * rng.uniform(0, 1, (2, 256, 256))).astype(np.float32),
            's2': (1e4 * ramp * rng.uniform(0, 1, (13, 256, 256))).astype(np.float32),
            'sample_id': 0}


def test_crop_offsets_match_the_official_distribution():
    np.random.seed(0)
    crop = next(t for t in pipeline() if type(t).__name__ == 'EORandomCrop')
    assert tuple(crop.size) == (int(REF['size']),) * 2
    ours = np.array([crop.box(256, 256, {})[:2] for _ in range(len(REF['offsets']))])
    official = REF['offsets'][:, ::-1]  # (x, y) → (top, left)
    for axis in (0, 1):
        assert ks_2samp(ours[:, axis], official[:, axis]).pvalue > 1e-3
    assert ours.max() == official.max() == 256 - 128 - 1 and ours.min() == official.min() == 0


def test_views_are_normalised_per_band_over_the_crop():
    np.random.seed(1)
    rng = np.random.default_rng(2)
    transforms = pipeline()
    for _ in range(20):
        results = scene(rng)
        for t in transforms:
            results = t(results)
        for key in ('s1', 's2'):
            assert results[key].shape[1:] == (128, 128)
            np.testing.assert_allclose(results[key].max(axis=(1, 2)), 1.0, atol=1e-5)
    np.testing.assert_allclose(REF['s1_max'], 1.0, atol=1e-5)
    np.testing.assert_allclose(REF['s2_max'], 1.0, atol=1e-5)
