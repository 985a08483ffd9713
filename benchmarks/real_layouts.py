"""How ``real_imagery.py`` feeds each method: the real windows written in the on-disk layout its
recipe reads, and the EuroSAT-MS patches as its S2 encoder sees them.

One :class:`RealMethod` per method in :data:`REAL_METHODS` — everything method-specific of the
real-imagery benchmark lives here:

- ``softcon`` / ``pera``: learning_signal's recipe; SSL4EO-S12 ``s2c`` locations (SoftCon
  unlabelled: ``unlabeled='keep'``, its InfoNCE fallback); EuroSAT through the model's data
  preprocessor (the recipe's z-score), PerA resized to the backbone's ``img_size``.
- ``mpmae``: the shipped S2-only recipe (``mpmae_convnextv2-atto_s2_200e_mmearth-56``: S2 is
  the input and the only reconstruction target, the official MMEarth-train setting
  ``OUT_MODALITIES = {'sentinel2': ...}``), not learning_signal's all-modality one — no real
  counterpart of the 11 other pretext targets exists here. The windows go into an MMEarth h5
  (``sentinel2`` only, every row ``S2_type='l1c'``) whose band statistics are the SSL4EO-S12 L1C
  ones the other recipes normalise with (what ``--l2a-to-l1c`` maps onto); EuroSAT is z-scored
  with the same statistics (B10 dropped, as the recipe's loader does).
"""
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

import real_data


@dataclass(frozen=True)
class RealMethod:
    """A method as ``real_imagery.py`` trains and probes it.

    Attributes:
        write: ``(root, windows (N, 13, H, W) uint16, seed) → cfg options`` pointing the recipe's
            train dataset at the windows written under ``root``.
        features: ``(model, EuroSAT DN (N, 13, 64, 64) float32 with NaN nodata) →
            {kind: (N, D)}`` frozen S2 features; ``'scene'`` is the method's scene feature.
        recipe: the recipe file; ``None``: learning_signal's (``methods/<slug>.py``).
        options: run settings beyond the CPU size (``None``: learning_signal's spec options).
    """

    write: Callable[[Path, np.ndarray, int], dict]
    features: Callable[[torch.nn.Module, torch.Tensor], dict]
    recipe: str | None = None
    options: dict | None = None


def write_ssl4eo(root: Path, windows: np.ndarray, seed: int) -> dict:
    """The windows as unlabelled SSL4EO-S12 ``s2c`` locations (one season)."""
    from eossl.testing.ssl4eo_s12 import make_fake_ssl4eo_s12

    def pixels(n: int, _modality: str, _season: int, band: str, side: int) -> np.ndarray:
        x = windows[n, real_data.L1C_BANDS.index(band)].astype(np.float32)
        f = x.shape[0] // side
        return x.reshape(side, f, side, f).mean((1, 3)).round().astype(np.uint16)

    out = make_fake_ssl4eo_s12(root, len(windows), seasons=1, size=windows.shape[-1], seed=seed,
                               modalities=('s2c',), pixel_source=pixels,
                               label_source=lambda n, s: [])
    split = root / 'split_train.txt'
    split.write_text('\n'.join(out['locations']) + '\n')
    return {'train_dataloader.dataset.data_root': str(root),
            'train_dataloader.dataset.split_file': str(split),
            'train_dataloader.dataset.pipeline.0.target_size': windows.shape[-1]}


def _mmearth_stats() -> tuple[np.ndarray, np.ndarray]:
    """SSL4EO-S12 L1C mean / std of the 13 bands in MMEarth's stored order (B8A before B8)."""
    from eossl.datasets.bands import band_stats
    from eossl.datasets.mmearth_layout import S2_STORED_BANDS
    mean, std = band_stats('ssl4eo_s12', 's2_l1c', S2_STORED_BANDS)
    return np.asarray(mean), np.asarray(std)


def write_mmearth(root: Path, windows: np.ndarray, seed: int) -> dict:
    """The windows as an MMEarth folder ``root/data_real`` (h5 with ``sentinel2`` and
    ``metadata`` only; band statistics: :func:`_mmearth_stats`; every row in ``train``)."""
    import h5py

    from eossl.datasets.mmearth_layout import S2_STORED_BANDS
    folder = root / 'data_real'
    folder.mkdir(parents=True, exist_ok=True)
    order = [real_data.L1C_BANDS.index(b) for b in S2_STORED_BANDS]
    tiles = [f'real_{seed}_{i:05d}' for i in range(len(windows))]
    with h5py.File(folder / 'data_real.h5', 'w') as h5:
        h5.create_dataset('sentinel2', data=windows[:, order],
                          chunks=(1, len(order), *windows.shape[2:]))
        h5.create_dataset('metadata', data=np.array(
            [(t, 'l1c') for t in tiles], dtype=np.dtype([('tile_id', 'S100'), ('S2_type', 'S10')])))
    mean, std = _mmearth_stats()
    for suffix, content in (
            ('band_stats', {'sentinel2_l1c': {'mean': mean.tolist(), 'std': std.tolist()}}),
            ('splits', {'train': list(range(len(windows)))}),
            ('tile_info', {t: {'S2_type': 'l1c'} for t in tiles})):
        (folder / f'data_real_{suffix}.json').write_text(json.dumps(content))
    return {'train_dataloader.dataset.data_root': str(folder),
            'train_dataloader.dataset.split': 'train'}


def _preprocessed(model, x: torch.Tensor) -> torch.Tensor:
    """``x`` through the model's data preprocessor (eval mode)."""
    return model.data_preprocessor({'inputs': list(x)}, False)['inputs']


def softcon_features(model, x: torch.Tensor) -> dict:
    """``{'scene': pooled last stage}`` of the preprocessed patches."""
    return {'scene': model.probe_features(_preprocessed(model, x))['s2'][0]}


def pera_features(model, x: torch.Tensor) -> dict:
    """``{'scene': CLS token, 'patch_mean': mean patch token}`` of the patches resized to the
    backbone's ``img_size``."""
    side = model.backbone.img_size
    side = side if isinstance(side, int) else side[0]
    x = F.interpolate(x, size=(side, side), mode='bilinear', antialias=True, align_corners=False)
    scene, patches = model.probe_features(_preprocessed(model, x))['s2']
    return {'scene': scene, 'patch_mean': patches.mean((2, 3))}


def mpmae_features(model, x: torch.Tensor) -> dict:
    """``{'scene': pooled last stage}`` of the patches z-scored as the h5 of
    :func:`write_mmearth` (B10 dropped, nodata NaN → 0 by the preprocessor)."""
    from eossl.datasets.mmearth_layout import S2_STORED_BANDS
    from eossl.datasets.transforms.mmearth_loading import DEFAULT_S2_BANDS
    mean, std = _mmearth_stats()
    idx = [S2_STORED_BANDS.index(b) for b in DEFAULT_S2_BANDS]
    keep = [real_data.L1C_BANDS.index(b) for b in DEFAULT_S2_BANDS]
    z = (x[:, keep] - torch.from_numpy(mean[idx]).float()[:, None, None]) / (
        torch.from_numpy(std[idx]).float()[:, None, None])
    return {'scene': model.probe_features(_preprocessed(model, z))['s2'][0]}


REAL_METHODS: dict[str, RealMethod] = {
    'softcon': RealMethod(lambda root, w, seed: {**write_ssl4eo(root, w, seed),
                                                 'train_dataloader.dataset.unlabeled': 'keep'},
                          softcon_features),
    'pera': RealMethod(write_ssl4eo, pera_features),
    'mpmae': RealMethod(write_mmearth, mpmae_features,
                        recipe='configs/mpmae/mpmae_convnextv2-atto_s2_200e_mmearth-56.py'),
}
