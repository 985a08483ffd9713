"""Seeded fake EuroSAT-MS in the layout of the official archive.

``<root>/<Class>/<Class>_<n>.tif`` (n from 1): 13 uint16 bands in the file order of the real
release, B1 … B12 then B8A last. Band k (0-based, file order) is drawn around ``1000 + 100·k``,
so a test can tell the bands apart by their level.

Run as a script: ``python -m eossl.testing.eurosat OUT_DIR [--samples-per-class N --size P]``.
"""
import argparse
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from eossl.datasets.eurosat import EUROSAT_CLASSES, FILE_BANDS

from .geotiff_folder import write_geotiff


def make_fake_eurosat(root: str | Path,
                      samples_per_class: int = 2,
                      seed: int = 0,
                      size: int = 64,
                      classes: Sequence[str] = EUROSAT_CLASSES) -> list[Path]:
    """Write ``samples_per_class`` patches for each of ``classes`` under ``root``.

    Args:
        size: height and width in pixels (the real value is 64).
        classes: class folders to write (a subset of the 10 real ones, or all of them).

    Returns:
        The written files, sorted.
    """
    rng = np.random.default_rng(seed)
    root = Path(root)
    levels = (1000 + 100 * np.arange(len(FILE_BANDS)))[:, None, None]
    written = []
    for cls in classes:
        for n in range(1, samples_per_class + 1):
            pixels = (levels + rng.normal(0, 30, (len(FILE_BANDS), size, size))).astype(np.uint16)
            origin = (rng.integers(3000, 7000) * 100.0, rng.integers(40000, 70000) * 100.0)
            written.append(write_geotiff(root / cls / f'{cls}_{n}.tif', pixels, origin=origin))
    return sorted(written)


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: write a fake EuroSAT-MS into OUT_DIR."""
    parser = argparse.ArgumentParser(description='Write a seeded fake EuroSAT-MS.')
    parser.add_argument('out_dir')
    parser.add_argument('--samples-per-class', type=int, default=2)
    parser.add_argument('--size', type=int, default=64)
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args(argv)
    written = make_fake_eurosat(args.out_dir, args.samples_per_class, args.seed, args.size)
    print(f'wrote {len(written)} fake EuroSAT-MS patches into {args.out_dir}')


if __name__ == '__main__':
    main()
