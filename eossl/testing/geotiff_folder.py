"""Seeded fake folder of GeoTIFFs for :class:`eossl.datasets.GeoTiffFolder`, and the GeoTIFF
writer the other fake-data generators share.

Run as a script: ``python -m eossl.testing.geotiff_folder OUT_DIR [--layout band_files]``.
"""
import argparse
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import rasterio
from rasterio.transform import from_origin


def write_geotiff(path: str | Path, array: np.ndarray, *, epsg: int = 32633,
                  origin: tuple[float, float] = (500000.0, 5000000.0), resolution: float = 10.0,
                  band_names: Sequence[str] | None = None, nodata: float | None = None) -> Path:
    """Write ``array`` ``(C, H, W)`` or ``(H, W)`` as a north-up GeoTIFF in a UTM CRS.

    Args:
        path: the file; missing parent folders are created.
        array: pixel values, written in their own dtype.
        epsg: the CRS code (326xx: WGS 84 / UTM zone xx N).
        origin: ``(x, y)`` of the upper-left corner in metres.
        resolution: pixel size in metres.
        band_names: written as band descriptions when given (one per band).
        nodata: the declared nodata value, if any.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = array[None] if array.ndim == 2 else array
    profile = dict(driver='GTiff', count=data.shape[0], height=data.shape[1],
                   width=data.shape[2], dtype=data.dtype.name, crs=f'EPSG:{epsg}', nodata=nodata,
                   transform=from_origin(*origin, resolution, resolution))
    with rasterio.open(path, 'w', **profile) as dst:
        dst.write(data)
        for index, name in enumerate(band_names or (), start=1):
            dst.set_band_description(index, name)
    return path


def make_fake_geotiff_folder(root: str | Path,
                             band_names: Sequence[str] = ('B2', 'B3', 'B4', 'B8'),
                             classes: Sequence[str] = ('forest', 'water'),
                             samples_per_class: int = 2,
                             size: int = 16,
                             layout: str = 'multiband',
                             seed: int = 0) -> list[Path]:
    """Write ``samples_per_class`` uint16 samples per class folder (or directly in ``root`` when
    ``classes`` is empty).

    Args:
        layout: ``'multiband'`` writes ``<class>/<sample>.tif`` with one band per name (named by
            band descriptions); ``'band_files'`` writes ``<class>/<sample>/<band>.tif``.
        size: height and width in pixels.

    Returns:
        The sample files (multiband) or sample folders (band_files), sorted.
    """
    if layout not in ('multiband', 'band_files'):
        raise ValueError(f"layout must be 'multiband' or 'band_files', got {layout!r}")
    rng = np.random.default_rng(seed)
    root = Path(root)
    samples = []
    for folder in [root / c for c in classes] or [root]:
        for i in range(samples_per_class):
            pixels = rng.integers(1, 5000, (len(band_names), size, size), dtype=np.uint16)
            origin = (rng.integers(3000, 7000) * 100.0, rng.integers(40000, 70000) * 100.0)
            if layout == 'multiband':
                samples.append(write_geotiff(folder / f'sample_{i}.tif', pixels, origin=origin,
                                             band_names=band_names))
                continue
            for band, band_pixels in zip(band_names, pixels):
                write_geotiff(folder / f'sample_{i}' / f'{band}.tif', band_pixels, origin=origin)
            samples.append(folder / f'sample_{i}')
    return sorted(samples)


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: write a fake GeoTIFF folder into OUT_DIR."""
    parser = argparse.ArgumentParser(description=make_fake_geotiff_folder.__doc__.split('\n')[0])
    parser.add_argument('out_dir')
    parser.add_argument('--layout', default='multiband', choices=('multiband', 'band_files'))
    parser.add_argument('--samples-per-class', type=int, default=2)
    parser.add_argument('--size', type=int, default=16)
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args(argv)
    samples = make_fake_geotiff_folder(args.out_dir, samples_per_class=args.samples_per_class,
                                       size=args.size, layout=args.layout, seed=args.seed)
    print(f'wrote {len(samples)} fake samples into {args.out_dir}')


if __name__ == '__main__':
    main()
