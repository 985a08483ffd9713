"""Seeded fake scene GeoTIFFs (a Sentinel-2 tile in miniature or at full 10980² size), written
block by block so that even a full-size scene never sits in memory.

Pixels are uint16 "reflectance" (smooth per-band fields plus noise), bands named by their
descriptions, nodata 0 in the lower-left triangle beyond the ``nodata_fraction`` diagonal (as
at the edge of a swath). Run as a script: ``python -m eossl.testing.scenes OUT.tif --size 2048``.
"""
import argparse
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import rasterio
import rasterio.shutil
from rasterio.transform import from_origin
from rasterio.windows import Window

from eossl.datasets.bands import band_names

BLOCK = 512


def make_fake_scene(path: str | Path, height: int, width: int, *,
                    bands: Sequence[str] = band_names('s2_l1c'), seed: int = 0,
                    nodata_fraction: float = 0.15, epsg: int = 32633,
                    origin: tuple[float, float] = (600000.0, 5300040.0),
                    resolution: float = 10.0, compress: str | None = None,
                    cog: bool = False) -> Path:
    """Write a ``(len(bands), height, width)`` uint16 scene; returns its path.

    Args:
        nodata_fraction: share of the scene (a corner triangle) that is nodata (0).
        compress: GeoTIFF compression (None: uncompressed, fastest to write).
        cog: write a Cloud-Optimized GeoTIFF (tiled, with overviews; needs GDAL's COG driver).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    phases = rng.uniform(0, 2 * np.pi, (len(bands), 2))
    levels = rng.uniform(800, 3000, len(bands))
    target = path.with_suffix('.tmp.tif') if cog else path
    profile = dict(driver='GTiff', height=height, width=width, count=len(bands), dtype='uint16',
                   crs=f'EPSG:{epsg}', transform=from_origin(*origin, resolution, resolution),
                   nodata=0, tiled=True, blockxsize=256, blockysize=256)
    if compress:
        profile['compress'] = compress
    with rasterio.open(target, 'w', **profile) as dst:
        for index, name in enumerate(bands, start=1):
            dst.set_band_description(index, name)
        for top in range(0, height, BLOCK):
            h = min(BLOCK, height - top)
            for left in range(0, width, BLOCK):
                w = min(BLOCK, width - left)
                rows = np.arange(top, top + h, dtype=np.float32)[:, None]
                cols = np.arange(left, left + w, dtype=np.float32)[None, :]
                field = np.sin(rows / 37.0 + phases[:, :1, None]) * \
                    np.cos(cols / 53.0 + phases[:, 1:, None])
                block = levels[:, None, None] * (1 + 0.4 * field) + \
                    rng.normal(0, 60, (len(bands), h, w))
                block = block.clip(1, 10000).astype(np.uint16)
                corner = (rows / height) - (cols / width) > 1 - 2 * nodata_fraction
                block[:, corner] = 0
                dst.write(block, window=Window(left, top, w, h))
    if cog:
        rasterio.shutil.copy(target, path, driver='COG', compress=(compress or 'deflate').upper(),
                             blocksize=256)
        target.unlink()
    return path


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: write one fake scene."""
    parser = argparse.ArgumentParser(description='Write a seeded fake S2 scene GeoTIFF.')
    parser.add_argument('out')
    parser.add_argument('--size', type=int, default=1024, help='height and width in pixels')
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args(argv)
    make_fake_scene(args.out, args.size, args.size, seed=args.seed)
    print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
