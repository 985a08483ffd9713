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
- ``dual_simclr`` / ``decur`` (S1 + S2): windows drawn only from the scenes with co-registered
  S1 (``real_data``: SSL4EO-S12 0000200, the BigEarthNet example patches), written as SEN12MS
  patch pairs (Dual-SimCLR) or SSL4EO-S12 ``s1`` + ``s2c`` locations (DeCUR, one season). The
  probe set is S2 only: EuroSAT goes through the recipe's own S2 normalisation steps (Dual-SimCLR:
  clip to [0, 10000], per-sample max; DeCUR: two-sigma scaling with the SSL4EO-S12 L1C
  statistics) into the S2 backbone, its last stage average-pooled.
"""
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.config import Config

import real_data


@dataclass(frozen=True)
class RealMethod:
    """A method as ``real_imagery.py`` trains and probes it.

    Attributes:
        write: ``(root, windows, seed) → cfg options`` pointing the recipe's train dataset at the
            windows written under ``root``; ``windows``: ``{'s2': (N, 13, H, W) uint16}`` (+
            ``'s1'``: ``(N, 2, H, W)`` float32 dB with ``s1``).
        features: ``(model, cfg, EuroSAT DN (N, 13, 64, 64) float32 with NaN nodata) →
            {kind: (N, D)}`` frozen S2 features; ``'scene'`` is the method's scene feature.
        recipe: the recipe file; ``None``: learning_signal's (``methods/<slug>.py``).
        options: run settings beyond the CPU size (``None``: learning_signal's spec options).
        s1: needs co-registered S1 windows.
    """

    write: Callable[[Path, dict, int], dict]
    features: Callable[[torch.nn.Module, Config, torch.Tensor], dict]
    recipe: str | None = None
    options: dict | None = None
    s1: bool = False


def write_ssl4eo(root: Path, windows: dict, seed: int) -> dict:
    """The windows as unlabelled SSL4EO-S12 locations (one season): ``s2c`` (+ ``s1``)."""
    from eossl.testing.ssl4eo_s12 import make_fake_ssl4eo_s12

    def pixels(n: int, modality: str, _season: int, band: str, side: int) -> np.ndarray:
        if modality == 's1':
            return windows['s1'][n, ('VV', 'VH').index(band)]
        x = windows['s2'][n, real_data.L1C_BANDS.index(band)].astype(np.float32)
        f = x.shape[0] // side
        return x.reshape(side, f, side, f).mean((1, 3)).round().astype(np.uint16)

    out = make_fake_ssl4eo_s12(root, len(windows['s2']), seasons=1, size=windows['s2'].shape[-1],
                               seed=seed, modalities=('s1', 's2c') if 's1' in windows else ('s2c',),
                               pixel_source=pixels, label_source=lambda n, s: [])
    split = root / 'split_train.txt'
    split.write_text('\n'.join(out['locations']) + '\n')
    return {'train_dataloader.dataset.data_root': str(root),
            'train_dataloader.dataset.split_file': str(split),
            'train_dataloader.dataset.pipeline.0.target_size': windows['s2'].shape[-1]}


def write_sen12ms(root: Path, windows: dict, seed: int) -> dict:
    """The S1 / S2 window pairs as SEN12MS patches (``s1``: VV, VH dB; ``s2``: 13 bands)."""
    from eossl.testing.sen12ms import SEASONS, make_fake_sen12ms
    keys = [(SEASONS[n % 4], 1 + n // 400, n % 400) for n in range(len(windows['s2']))]
    make_fake_sen12ms(root, seed=seed, size=windows['s2'].shape[-1], patches=keys,
                      modalities=('s1', 's2'), pixel_source=lambda n, m, _size: windows[m][n])
    split = root / 'split_train.txt'
    split.write_text('\n'.join(f'{season}_{scene}_p{patch}' for season, scene, patch in keys)
                     + '\n')
    return {'train_dataloader.dataset.data_root': str(root),
            'train_dataloader.dataset.split_file': str(split)}


def _mmearth_stats() -> tuple[np.ndarray, np.ndarray]:
    """SSL4EO-S12 L1C mean / std of the 13 bands in MMEarth's stored order (B8A before B8)."""
    from eossl.datasets.bands import band_stats
    from eossl.datasets.mmearth_layout import S2_STORED_BANDS
    mean, std = band_stats('ssl4eo_s12', 's2_l1c', S2_STORED_BANDS)
    return np.asarray(mean), np.asarray(std)


def write_mmearth(root: Path, windows: dict, seed: int) -> dict:
    """The windows as an MMEarth folder ``root/data_real`` (h5 with ``sentinel2`` and
    ``metadata`` only; band statistics: :func:`_mmearth_stats`; every row in ``train``)."""
    import h5py

    from eossl.datasets.mmearth_layout import S2_STORED_BANDS
    folder = root / 'data_real'
    folder.mkdir(parents=True, exist_ok=True)
    windows = windows['s2']
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


def softcon_features(model, _cfg: Config, x: torch.Tensor) -> dict:
    """``{'scene': pooled last stage}`` of the preprocessed patches."""
    return {'scene': model.probe_features(_preprocessed(model, x))['s2'][0]}


def pera_features(model, _cfg: Config, x: torch.Tensor) -> dict:
    """``{'scene': CLS token, 'patch_mean': mean patch token}`` of the patches resized to the
    backbone's ``img_size``."""
    side = model.backbone.img_size
    side = side if isinstance(side, int) else side[0]
    x = F.interpolate(x, size=(side, side), mode='bilinear', antialias=True, align_corners=False)
    scene, patches = model.probe_features(_preprocessed(model, x))['s2']
    return {'scene': scene, 'patch_mean': patches.mean((2, 3))}


def mmearth_zscore(x: torch.Tensor) -> torch.Tensor:
    """DN ``(N, 13, H, W)`` (L1C order, NaN nodata) → ``(N, 12, H, W)``: B10 dropped and each
    band z-scored as ``LoadMMEarthSample`` reads the h5 of :func:`write_mmearth`."""
    from eossl.datasets.mmearth_layout import S2_STORED_BANDS
    from eossl.datasets.transforms.mmearth_loading import DEFAULT_S2_BANDS
    mean, std = (torch.from_numpy(v[[S2_STORED_BANDS.index(b) for b in DEFAULT_S2_BANDS]])
                 .float()[:, None, None] for v in _mmearth_stats())
    return (x[:, [real_data.L1C_BANDS.index(b) for b in DEFAULT_S2_BANDS]] - mean) / std


def mpmae_features(model, _cfg: Config, x: torch.Tensor) -> dict:
    """``{'scene': pooled last stage}`` of the patches z-scored as in training
    (:func:`mmearth_zscore`; NaN → 0 by the preprocessor)."""
    return {'scene': model.probe_features(_preprocessed(model, mmearth_zscore(x)))['s2'][0]}


def s2_normalised(cfg: Config, steps: tuple[str, ...], x: torch.Tensor) -> torch.Tensor:
    """DN ``(N, 13, H, W)`` (L1C order) through the recipe's train-pipeline steps of the types
    ``steps`` that act on ``s2``, each restricted to ``s2`` (the recipe's S2 normalisation)."""
    from eossl.registry import TRANSFORMS
    chosen = []
    for step in cfg.train_dataloader.dataset.pipeline:
        names = step.get('keys', step.get('key'))
        if step['type'] in steps and 's2' in ([names] if isinstance(names, str) else names):
            chosen.append(TRANSFORMS.build(
                {**step, **({'key': 's2'} if 'key' in step else {'keys': 's2'})}))
    if len(chosen) != len(steps):
        raise ValueError(f'real_layouts: {len(chosen)} of the S2 steps {steps} found in the '
                         'recipe pipeline')
    batch = []
    for image in x.numpy():
        results = {'s2': image, 's2_bands': real_data.L1C_BANDS}
        for step in chosen:
            results = step(results)
        batch.append(torch.from_numpy(np.asarray(results['s2'], np.float32)))
    return torch.stack(batch)


def s2_encoder(*steps: str) -> Callable[[torch.nn.Module, Config, torch.Tensor], dict]:
    """Features of an S1 / S2 method's S2 backbone on :func:`s2_normalised` patches (then its
    data preprocessor): ``{'scene': pooled last stage}``."""
    def features(model, cfg: Config, x: torch.Tensor) -> dict:
        batch = list(s2_normalised(cfg, steps, x))
        inputs = model.data_preprocessor({'inputs': {'s2': batch}}, False)['inputs']['s2']
        return {'scene': model.s2_backbone(inputs)[-1].mean((2, 3))}
    return features


def write_unlabelled_ssl4eo(root: Path, windows: dict, seed: int) -> dict:
    """:func:`write_ssl4eo` read by SoftCon with ``unlabeled='keep'`` (its InfoNCE fallback)."""
    return {**write_ssl4eo(root, windows, seed), 'train_dataloader.dataset.unlabeled': 'keep'}


REAL_METHODS: dict[str, RealMethod] = {
    'softcon': RealMethod(write_unlabelled_ssl4eo, softcon_features),
    'pera': RealMethod(write_ssl4eo, pera_features),
    'mpmae': RealMethod(write_mmearth, mpmae_features,
                        recipe='configs/mpmae/mpmae_convnextv2-atto_s2_200e_mmearth-56.py'),
    'dual_simclr': RealMethod(write_sen12ms, s2_encoder('ClipValues', 'PerSampleMaxNormalize'),
                              s1=True),
    'decur': RealMethod(write_ssl4eo, s2_encoder('TwoSigmaScale'), s1=True),
}
