"""Seeded fake SEN12MS in the layout of the official archive.

``<root>/<season>/{s1,s2,lc}_<scene>/<season>_{s1,s2,lc}_<scene>_p<n>.tif``: s1 holds 2 float32
bands (VV, VH in dB), s2 13 uint16 L1C bands, lc 4 uint16 land-cover maps (IGBP, LCCS-LC,
LCCS-LU, LCCS-SH; the values here are placeholders in plausible code ranges, not real legends).

Run as a script: ``python -m eossl.testing.sen12ms OUT_DIR [--num-patches N --size P]``.
"""
import argparse
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from .geotiff_folder import write_geotiff

SEASONS = ('ROIs1158_spring', 'ROIs1868_summer', 'ROIs1970_fall', 'ROIs2017_winter')
# (season, scene, patch)
PatchKey = tuple[str, int, int]


def _modality_pixels(rng: np.random.Generator, modality: str, size: int) -> np.ndarray:
    """Random pixels of one modality file, ``(C, size, size)``."""
    if modality == 's1':
        return rng.normal([[[-12.0]], [[-19.0]]], 3.0, (2, size, size)).astype(np.float32)
    if modality == 's2':
        return rng.normal(1500, 600, (13, size, size)).clip(1, 10000).astype(np.uint16)
    igbp = rng.integers(1, 18, (1, size, size))
    lccs = rng.integers(1, 51, (3, size, size))
    return np.concatenate([igbp, lccs]).astype(np.uint16)


def make_fake_sen12ms(root: str | Path,
                      num_patches: int = 4,
                      seed: int = 0,
                      size: int = 256,
                      patches: Sequence[PatchKey] | None = None,
                      modalities: Sequence[str] = ('s1', 's2', 'lc'),
                      pixel_source: Callable[[int, str, int], np.ndarray] | None = None
                      ) -> list[PatchKey]:
    """Write fake SEN12MS patches under ``root``.

    Args:
        num_patches: how many patches (spread over the seasons), unless ``patches`` is given.
        size: height and width in pixels (the real value is 256).
        patches: explicit ``(season, scene, patch)`` keys to write.
        modalities: which of the three files to write per patch.
        pixel_source: ``(patch index in write order, modality, size) → (C, size, size)``
            array written instead of random pixels (structured data, see
            :mod:`eossl.testing.structured_scenes`).

    Returns:
        The written ``(season, scene, patch)`` keys, sorted.
    """
    rng = np.random.default_rng(seed)
    root = Path(root)
    if patches is None:
        cells = rng.choice(150 * 700, num_patches, replace=False)
        patches = [(SEASONS[i % len(SEASONS)], int(c) // 700 + 1, int(c) % 700)
                   for i, c in enumerate(cells)]
    for n, (season, scene, patch) in enumerate(patches):
        epsg = 32600 + int(rng.integers(1, 61))
        origin = (rng.integers(2000, 8000) * 100.0, rng.integers(1000, 90000) * 100.0)
        for mod in modalities:
            write_geotiff(root / season / f'{mod}_{scene}' / f'{season}_{mod}_{scene}_p{patch}.tif',
                          _modality_pixels(rng, mod, size) if pixel_source is None
                          else pixel_source(n, mod, size), epsg=epsg, origin=origin)
    return sorted(patches)


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: write a fake SEN12MS into OUT_DIR."""
    parser = argparse.ArgumentParser(description='Write a seeded fake SEN12MS.')
    parser.add_argument('out_dir')
    parser.add_argument('--num-patches', type=int, default=4)
    parser.add_argument('--size', type=int, default=256)
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args(argv)
    written = make_fake_sen12ms(args.out_dir, args.num_patches, args.seed, args.size)
    print(f'wrote {len(written)} fake SEN12MS s1/s2/lc triplets into {args.out_dir}')


if __name__ == '__main__':
    main()
