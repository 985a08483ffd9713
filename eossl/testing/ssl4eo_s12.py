"""Seeded fake SSL4EO-S12 (+ SSL4EO-S12-ML labels) in the layout of the official archives.

``<root>/{s1,s2c,s2a}/<7-digit location>/<season product id>/<BAND>.tif``: one single-band
GeoTIFF per band at its native size (10 m bands ``size``, 20 m ``size / 2``, 60 m ``size / 6``;
the real size is 264), S2 as uint16 reflectance, S1 as float32 dB. Seasons are four dates of one
year; s2c and s2a share the S2 product ids, s1 has its own. ``<root>/ssl4eo_s12_ml_labels.json``
holds ``{location: {season: ["0", "3", ...]}}`` with Dynamic World indices; the last location
is left out of it and one season of the first location has an empty list (unlabeled).

Run as a script: ``python -m eossl.testing.ssl4eo_s12 OUT_DIR [--num-locations N --size P]``.
"""
import argparse
import json
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from eossl.datasets.bands import SENSORS

from .geotiff_folder import write_geotiff

# (location index, modality, season index, band name, side) -> (side, side) pixels
PixelSource = Callable[[int, str, int, str, int], np.ndarray]
SENSOR_OF = {'s1': 's1_grd', 's2c': 's2_l1c', 's2a': 's2_l2a'}
LABELS_FILE = 'ssl4eo_s12_ml_labels.json'
MONTHS = (3, 6, 9, 12)


def _product_ids(rng: np.random.Generator, seasons: int) -> tuple[list[str], list[str]]:
    """S2 and S1 product ids (in date order) of one location's ``seasons`` acquisitions."""
    tile = f'T{rng.integers(10, 60)}{"UVW"[rng.integers(3)]}{"ABCD"[rng.integers(4)]}' \
           f'{"QRST"[rng.integers(4)]}'
    s2, s1 = [], []
    for month in MONTHS[:seasons]:
        day, hour = int(rng.integers(1, 28)), int(rng.integers(0, 24))
        stamp = f'2021{month:02d}{day:02d}T{hour:02d}{rng.integers(0, 60):02d}21'
        s2.append(f'{stamp}_{stamp}_{tile}')
        # S1A and S1B mixed, so that name order differs from date order as in the real data
        platform, orbit = ('S1A', 'S1B')[rng.integers(2)], rng.integers(10000, 40000)
        s1.append(f'{platform}_IW_GRDH_1SDV_{stamp}_{stamp[:-2]}46_{orbit:06d}_'
                  f'{rng.integers(0, 2**20):05X}_{rng.integers(0, 2**16):04X}')
    return s2, s1


def _band_pixels(rng: np.random.Generator, modality: str, side: int) -> np.ndarray:
    """Random pixels of one band file, ``(side, side)``."""
    if modality == 's1':
        return rng.normal(-15.0, 4.0, (side, side)).astype(np.float32)
    return rng.normal(1500, 600, (side, side)).clip(1, 10000).astype(np.uint16)


def make_fake_ssl4eo_s12(root: str | Path, num_locations: int = 3, seasons: int = 4,
                         size: int = 264, seed: int = 0,
                         modalities: Sequence[str] = ('s1', 's2c', 's2a'),
                         season_keys: str = 'product',
                         pixel_source: PixelSource | None = None,
                         label_source: Callable[[int, int], list[int]] | None = None) -> dict:
    """Write a fake SSL4EO-S12 under ``root``.

    Args:
        num_locations: locations written (ids drawn from the real 0..251078 range).
        seasons: season folders per location (1..4).
        size: side of the 10 m bands; must be divisible by 6.
        modalities: subset of ``('s1', 's2c', 's2a')``.
        season_keys: season keys of the labels JSON: ``'product'`` (S2 product ids) or
            ``'index'`` (``"0"``..``"3"``).
        pixel_source: ``(location index, modality, season index, band name, side) → (side,
            side)`` array written instead of random pixels (structured data, see
            :mod:`eossl.testing.structured_scenes`); S2 uint16, S1 float32.
        label_source: ``(location index, season index) → class indices``; when given every
            location and season is labeled by it (no unlabeled ones).

    Returns:
        ``{'locations': [...], 'seasons': {modality: {location: [ids]}}, 'labels': {location:
        {season key: [int, ...]}}, 'labels_file': Path}``.
    """
    if size % 6 or not 1 <= seasons <= len(MONTHS) or season_keys not in ('product', 'index'):
        raise ValueError(f'make_fake_ssl4eo_s12: need size divisible by 6, 1 <= seasons <= 4 and '
                         f"season_keys 'product'/'index'; got {size}, {seasons}, {season_keys!r}")
    rng = np.random.default_rng(seed)
    root = Path(root)
    locations = [f'{i:07d}' for i in sorted(rng.choice(251079, num_locations, replace=False))]
    written: dict[str, dict[str, list[str]]] = {m: {} for m in modalities}
    labels: dict[str, dict[str, list[int]]] = {}
    for n, location in enumerate(locations):
        s2_ids, s1_ids = _product_ids(rng, seasons)
        for modality in modalities:
            ids = s1_ids if modality == 's1' else s2_ids
            written[modality][location] = ids
            for s, season in enumerate(ids):
                for band in SENSORS[SENSOR_OF[modality]]:
                    side = size * 10 // int(band.resolution_m)
                    pixels = (_band_pixels(rng, modality, side) if pixel_source is None
                              else pixel_source(n, modality, s, band.name, side))
                    write_geotiff(root / modality / location / season / f'{band.name}.tif',
                                  pixels)
        keys = s2_ids if season_keys == 'product' else [str(i) for i in range(seasons)]
        if label_source is not None:
            labels[location] = {key: sorted(int(c) for c in label_source(n, s))
                                for s, key in enumerate(keys)}
            continue
        if n == len(locations) - 1 and n > 0:
            continue  # the last location has no entry: unlabeled
        labels[location] = {key: sorted(int(c) for c in rng.choice(9, rng.integers(1, 5),
                                                                   replace=False))
                            for key in keys}
        if n == 0:
            labels[location][keys[-1]] = []
    labels_file = root / LABELS_FILE
    labels_file.parent.mkdir(parents=True, exist_ok=True)
    labels_file.write_text(json.dumps({loc: {k: [str(c) for c in v] for k, v in entry.items()}
                                       for loc, entry in labels.items()}, indent=1))
    return dict(locations=locations, seasons=written, labels=labels, labels_file=labels_file)


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: write a fake SSL4EO-S12 into OUT_DIR."""
    parser = argparse.ArgumentParser(description='Write a seeded fake SSL4EO-S12.')
    parser.add_argument('out_dir')
    parser.add_argument('--num-locations', type=int, default=3)
    parser.add_argument('--size', type=int, default=264)
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args(argv)
    out = make_fake_ssl4eo_s12(args.out_dir, args.num_locations, size=args.size, seed=args.seed)
    print(f'wrote {len(out["locations"])} fake SSL4EO-S12 locations into {args.out_dir}')


if __name__ == '__main__':
    main()
