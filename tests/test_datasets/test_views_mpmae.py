"""MP-MAE views: eossl's shipped 56 px recipe vs the official MMEarth crop and mask draws.

``tests/data/parity/mpmae_views.npz`` (``eossl-parity-references --mmearth``, see
:func:`eossl.parity.mpmae_step.views`) holds 2000 official draws of the only view randomness
of MMEarth pretraining (its dataset has no augmentation): ``FCMAE.forward``'s kornia
``RandomCrop`` of a 64 px MMEarth64 tile to 56 px (offsets) and ``gen_random_mask`` at 0.6 on
the 7 × 7 grid. eossl crops in the data pipeline (``EORandomCrop``, one box for every pixel
modality) and masks in ``MPMAE.generate_mask``. No official code is imported here.

Tests and power (2000 vs 2000 draws): offsets by a two-sample Kolmogorov–Smirnov test per axis
(α = 0.001; rejects a CDF difference ≥ 0.08 with power ≥ 0.9) and by their support (0..8 on
both sides); masks by the masked share per sample (exactly 30 of 49 on both sides) and a χ²
homogeneity test of how often each of the 49 cells is masked (α = 0.001; 2 × 49 table of
60 000 masked cells per side: a shift of 2.5 % of the masked mass from one half of the grid to
the other is rejected with power 0.98, noncentral χ² with 48 degrees of freedom).
"""
from pathlib import Path

import numpy as np
import torch
from mmengine.config import Config
from scipy.stats import chi2_contingency, ks_2samp

import eossl
from eossl.parity import mpmae_step
from eossl.registry import TRANSFORMS

ROOT = Path(__file__).parents[2]
REF = np.load(ROOT / 'tests/data/parity/mpmae_views.npz')


def recipe() -> Config:
    eossl.register_all_modules()
    return Config.fromfile(str(ROOT / mpmae_step.RECIPE))


def test_crop_offsets_match_the_official_random_crop():
    np.random.seed(0)
    cfg = recipe()
    crop = TRANSFORMS.build(next(s for s in cfg.train_pipeline if s['type'] == 'EORandomCrop'))
    tile, size = int(REF['tile']), int(REF['size'])
    assert tuple(crop.size) == (size, size)
    ours = np.array([crop.box(tile, tile, {})[:2] for _ in range(len(REF['offsets']))])
    official = REF['offsets'][:, ::-1]  # (x, y) → (top, left)
    for axis in (0, 1):
        assert ks_2samp(ours[:, axis], official[:, axis]).pvalue > 1e-3
    assert ours.min() == official.min() == 0 and ours.max() == official.max() == tile - size


def test_masks_match_the_official_shares():
    model = mpmae_step.build_eossl(mpmae_step.reduced_model_cfg(recipe().model.to_dict()))
    torch.manual_seed(1)
    ours = model.generate_mask(len(REF['masks']), (7, 7), torch.device('cpu')).flatten(1)
    ours = ours.numpy()
    official = REF['masks']
    assert (ours.sum(1) == 30).all() and (official.sum(1) == 30).all()
    table = np.stack([ours.sum(0), official.sum(0)])
    assert chi2_contingency(table).pvalue > 1e-3
