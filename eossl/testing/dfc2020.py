"""Seeded fake DFC2020 in the layout of the official release.

``<root>/ROIs0000_<split>/{s1,s2,lc,dfc}_0/ROIs0000_<split>_{s1,s2,lc,dfc}_0_p<n>.tif``: s1 holds
2 float32 bands (VV, VH in dB), s2 13 uint16 L1C bands, lc 4 uint16 MODIS maps, dfc one uint8
map in the 10-class scheme (values 1 … 10, never Savanna = 3 or Snow/Ice = 8, as in the real
maps). A dfc map is made of quadrants of up to three classes, so scene labels are meaningful.

Run as a script: ``python -m eossl.testing.dfc2020 OUT_DIR [--num-patches N --size P]``.
"""
import argparse
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from eossl.datasets.dfc2020 import SPLITS, patch_file

from .geotiff_folder import write_geotiff

PRESENT_VALUES = (1, 2, 4, 5, 6, 7, 9, 10)


def fake_dfc_map(rng: np.random.Generator, size: int) -> np.ndarray:
    """A ``(size, size)`` uint8 map whose four quadrants hold up to three classes."""
    values = rng.choice(PRESENT_VALUES, size=3, replace=False)
    quadrants = rng.choice(values, size=4)
    half = size // 2
    out = np.empty((size, size), np.uint8)
    for q, (rows, cols) in enumerate(((slice(0, half), slice(0, half)),
                                      (slice(0, half), slice(half, size)),
                                      (slice(half, size), slice(0, half)),
                                      (slice(half, size), slice(half, size)))):
        out[rows, cols] = quadrants[q]
    return out


def _pixels(rng: np.random.Generator, modality: str, size: int) -> np.ndarray:
    """Random pixels of one modality file, ``(C, size, size)``."""
    if modality == 's1':
        return rng.normal([[[-12.0]], [[-19.0]]], 3.0, (2, size, size)).astype(np.float32)
    if modality == 's2':
        return rng.normal(1500, 600, (13, size, size)).clip(1, 10000).astype(np.uint16)
    if modality == 'lc':
        return rng.integers(1, 18, (4, size, size)).astype(np.uint16)
    return fake_dfc_map(rng, size)[None]


def make_fake_dfc2020(root: str | Path,
                      num_patches: int = 4,
                      seed: int = 0,
                      size: int = 256,
                      splits: Sequence[str] = SPLITS,
                      modalities: Sequence[str] = ('s1', 's2', 'lc', 'dfc')) -> list[Path]:
    """Write ``num_patches`` patches (``p0`` …) of every split and modality under ``root``.

    Args:
        size: height and width in pixels (the real value is 256).
        splits: any of ``'validation'``, ``'test'``.

    Returns:
        The written files, sorted.
    """
    rng = np.random.default_rng(seed)
    root = Path(root)
    written = []
    for split in splits:
        for patch in range(num_patches):
            origin = (rng.integers(2000, 8000) * 100.0, rng.integers(1000, 90000) * 100.0)
            for mod in modalities:
                written.append(write_geotiff(patch_file(root, split, mod, patch),
                                             _pixels(rng, mod, size), origin=origin))
    return sorted(written)


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: write a fake DFC2020 into OUT_DIR."""
    parser = argparse.ArgumentParser(description='Write a seeded fake DFC2020.')
    parser.add_argument('out_dir')
    parser.add_argument('--num-patches', type=int, default=4)
    parser.add_argument('--size', type=int, default=256)
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args(argv)
    written = make_fake_dfc2020(args.out_dir, args.num_patches, args.seed, args.size)
    print(f'wrote {len(written)} fake DFC2020 files into {args.out_dir}')


if __name__ == '__main__':
    main()
