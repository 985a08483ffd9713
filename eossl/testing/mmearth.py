"""Seeded fake MMEarth in the official h5 + JSON layout (see :mod:`eossl.datasets.mmearth_layout`).

Writes ``<root>/<name>/<name>.h5`` and ``<name>_{band_stats,splits,tile_info}.json``. What the
fake exercises: S2 stored with B8A before B8 (each band filled around its own level, so a
reordering error is visible), odd samples are L2A (B10 = 0 = nodata), sample 0 has a nodata
corner in S2, canopy height (255), Dynamic World (0) and WorldCover (255); S1 desc HH/HV are
absent (−inf) everywhere and sample 1 has no ascending orbit; sample 2 has no ERA5 (NaN);
sample 3 has an all-zero (invalid) biome vector.

Run as a script: ``python -m eossl.testing.mmearth OUT_DIR [--num-samples N --size P]``.
"""
import argparse
import json
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from eossl.datasets.mmearth_layout import MODALITIES, WORLDCOVER_CODES


def _pixels(rng: np.random.Generator, n: int, size: int) -> dict[str, np.ndarray]:
    """Raw pixel modalities ``(n, bands, size, size)`` in their stored dtypes."""
    level = np.arange(1, 14, dtype=np.float64)[None, :, None, None] * 500
    s2 = (level + rng.normal(0, 100, (n, 13, size, size))).clip(1, 10000).astype(np.uint16)
    s2[1::2, 10] = 0
    s1 = rng.normal(-15, 4, (n, 8, size, size)).astype(np.float32)
    s1[:, 6:] = -np.inf
    if n > 1:
        s1[1, :4] = -np.inf
    canopy = rng.integers(0, 40, (n, 2, size, size)).astype(np.uint8)
    dw = rng.integers(1, 10, (n, 1, size, size)).astype(np.uint8)
    wc = np.asarray(WORLDCOVER_CODES, np.uint8)[rng.integers(0, 11, (n, 1, size, size))]
    corner = slice(0, max(1, size // 4))
    s2[0, :, corner, corner] = 0
    canopy[0, :, corner, corner] = 255
    dw[0, :, corner, corner] = 0
    wc[0, :, corner, corner] = 255
    return {'sentinel2': s2, 'sentinel1': s1, 'canopy_height_eth': canopy,
            'aster': rng.integers(0, 3000, (n, 2, size, size)).astype(np.int16),
            'dynamic_world': dw, 'esa_worldcover': wc}


def _sin_cos(angle: np.ndarray) -> np.ndarray:
    """``(n,)`` radians → ``(n, 2)`` float32 ``[sin, cos]`` as MMEarth stores lat, lon, month."""
    return np.stack([np.sin(angle), np.cos(angle)], 1).astype(np.float32)


def _vectors(rng: np.random.Generator, n: int) -> tuple[dict[str, np.ndarray], dict]:
    """Image-level modalities and the per-tile facts they encode."""
    lat, lon = rng.uniform(-60, 70, n), rng.uniform(-180, 180, n)
    month, biome, eco = rng.integers(1, 13, n), rng.integers(0, 14, n), rng.integers(0, 846, n)
    era5 = rng.normal(10, 5, (n, 12)).astype(np.float32)
    if n > 2:
        era5[2] = np.nan
    onehot_biome = np.eye(14, dtype=np.uint8)[biome]
    if n > 3:
        onehot_biome[3] = 0
    vectors = {'lat': _sin_cos(np.deg2rad(lat)), 'lon': _sin_cos(np.deg2rad(lon)),
               'month': _sin_cos(2 * np.pi * month / 12), 'era5': era5, 'biome': onehot_biome,
               'eco_region': np.eye(846, dtype=np.uint16)[eco]}
    facts = dict(lat=lat, lon=lon, month=month, biome=biome, eco_region=eco)
    return vectors, facts


def _stats(values: np.ndarray, nodata: float | None) -> dict[str, list[float]]:
    """Per-band mean/std/min/max over valid values (axis 1 = bands), NaN for an empty band."""
    x = np.moveaxis(values.astype(np.float64), 1, 0).reshape(values.shape[1], -1)
    valid = np.isfinite(x) & (True if nodata is None else x != nodata)
    x = np.where(valid, x, np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', RuntimeWarning)  # all-nodata bands → NaN, as intended
        out = dict(mean=np.nanmean(x, 1), std=np.nanstd(x, 1), min=np.nanmin(x, 1),
                   max=np.nanmax(x, 1))
    return {k: [float(v) for v in vals] for k, vals in out.items()}


def _band_stats(data: dict[str, np.ndarray], l2a: np.ndarray) -> dict:
    """The official band-stats JSON content; S2 statistics per product type."""
    stats = {}
    for name, modality in MODALITIES.items():
        if modality.stats_key is None:
            continue
        if name == 'sentinel2':
            for key, rows in (('sentinel2_l1c', ~l2a), ('sentinel2_l2a', l2a)):
                stats[key] = _stats(data[name][rows], modality.nodata)
        else:
            stats[modality.stats_key] = _stats(data[name], modality.nodata)
    return stats


def make_fake_mmearth(root: str | Path, num_samples: int = 6, size: int = 16, seed: int = 0,
                      name: str = 'data_tiny', s2_type_in_metadata: bool = True,
                      arrays: dict[str, np.ndarray] | None = None, facts: dict | None = None,
                      splits: dict[str, list[int]] | None = None) -> Path:
    """Write a fake MMEarth folder ``root/name`` and return it.

    Args:
        num_samples: h5 rows; the splits give all but two to ``train`` and one each to ``val``
            and ``test`` (at least 3 samples).
        size: tile side in pixels.
        s2_type_in_metadata: False writes the older ``metadata`` with only ``tile_id``, so the
            product type must come from the tile-info JSON.
    """
    import h5py

    if num_samples < 3:
        raise ValueError(f'make_fake_mmearth needs at least 3 samples, got {num_samples}')
    rng = np.random.default_rng(seed)
    folder = Path(root) / name
    folder.mkdir(parents=True, exist_ok=True)
    vectors, drawn = _vectors(rng, num_samples)
    data = {**_pixels(rng, num_samples, size), **vectors, **(arrays or {})}
    facts = {**drawn, **(facts or {})}
    tiles = [f'tile_{seed}_{i:04d}' for i in range(num_samples)]
    l2a = np.arange(num_samples) % 2 == 1
    s2_types = ['l2a' if x else 'l1c' for x in l2a]
    with h5py.File(folder / f'{name}.h5', 'w') as h5:
        for key, array in data.items():
            h5.create_dataset(key, data=array, chunks=(1, *array.shape[1:]))
        fields = [('tile_id', 'S100')] + ([('S2_type', 'S10')] if s2_type_in_metadata else [])
        rows = [(t, s) if s2_type_in_metadata else (t,) for t, s in zip(tiles, s2_types)]
        h5.create_dataset('metadata', data=np.array(rows, dtype=np.dtype(fields)))
    order = rng.permutation(num_samples).tolist()
    if splits is None:
        splits = {'train': order[:-2], 'val': order[-2:-1], 'test': order[-1:]}
    tile_info = {t: dict(S2_type=s2, lat=float(facts['lat'][i]), lon=float(facts['lon'][i]),
                         biome=int(facts['biome'][i]), eco_region=int(facts['eco_region'][i]),
                         S2_DATE=f'2019-{int(facts["month"][i]):02d}-15')
                 for i, (t, s2) in enumerate(zip(tiles, s2_types))}
    for suffix, content in (('band_stats', _band_stats(data, l2a)), ('splits', splits),
                            ('tile_info', tile_info)):
        (folder / f'{name}_{suffix}.json').write_text(json.dumps(content))
    return folder


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: write a fake MMEarth folder into OUT_DIR."""
    parser = argparse.ArgumentParser(description='Write a seeded fake MMEarth h5 folder.')
    parser.add_argument('out_dir')
    parser.add_argument('--num-samples', type=int, default=6)
    parser.add_argument('--size', type=int, default=16)
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args(argv)
    folder = make_fake_mmearth(args.out_dir, args.num_samples, args.size, args.seed)
    print(f'wrote a fake MMEarth with {args.num_samples} samples into {folder}')


if __name__ == '__main__':
    main()
