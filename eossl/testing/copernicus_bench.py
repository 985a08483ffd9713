"""Seeded fake Copernicus-Bench level-2 tasks in the published folder layouts (for tests, demos).

Layouts are those read by :mod:`eossl.datasets.copernicus_bench`. Pixels carry a learnable
signal: each class has a fixed per-band signature (seeded) added to the band's base level, so
a probe on good features separates the classes while noise keeps it from being trivial.

Run as a script: ``python -m eossl.testing.copernicus_bench OUT_DIR [--per-split N]`` writes
``eurosat_s1``, ``eurosat_s2``, ``bigearthnet_s1s2`` and ``dfc2020_s1s2`` under OUT_DIR.
"""
import argparse
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from eossl.datasets.bands import band_names, stored_band_order
from eossl.datasets.bigearthnet import CLASSES_19
from eossl.datasets.eurosat import EUROSAT_CLASSES

from .geotiff_folder import write_geotiff

SPLITS = ('train', 'val', 'test')
S1_BASE = np.array([-12.5, -20.0])
BEN_CLASSES = CLASSES_19  # the CSV header names BigEarthNet's 19 classes
DFC_RAW = (1, 2, 4, 5, 6, 7, 9, 10)  # the raw DFC2020 values of the 8 kept classes


def _signatures(num: int, bands: int, scale: float, seed: int) -> np.ndarray:
    return np.random.default_rng(seed + 7).normal(0, scale, (num, bands))


def _pixels(modality: str, size: int, signal: np.ndarray, rng: np.random.Generator,
            noise: float) -> np.ndarray:
    """``(C, size, size)`` pixels: base level + ``signal`` ``(C,)`` or ``(C, H, W)`` + noise."""
    if modality == 's1':
        base = S1_BASE[:, None, None]
        shape = (2, size, size)
    else:
        base = (1000 + 100 * np.arange(signal.shape[0]))[:, None, None]
        shape = (signal.shape[0], size, size)
    sig = signal if signal.ndim == 3 else signal[:, None, None]
    out = base + sig + rng.normal(0, noise, shape)
    return out.astype(np.float32 if modality == 's1' else np.uint16)


def make_fake_copernicus_eurosat(root: str | Path, modality: str = 's2', per_class: int = 3,
                                 size: int = 16, seed: int = 0) -> Path:
    """``eurosat_<modality>``: ``per_class`` samples of each class in every split."""
    rng = np.random.default_rng(seed)
    bands = 2 if modality == 's1' else len(stored_band_order('eurosat', 's2_l1c'))
    scale, noise = (3.0, 1.0) if modality == 's1' else (300.0, 100.0)
    sig = _signatures(len(EUROSAT_CLASSES), bands, scale, seed)
    root = Path(root)
    counter = 1
    for split in SPLITS:
        names = []
        for c, cls in enumerate(EUROSAT_CLASSES):
            for _ in range(per_class):
                name = f'{cls}_{counter}'
                counter += 1
                write_geotiff(root / 'all_imgs' / cls / f'{name}.tif',
                              _pixels(modality, size, sig[c], rng, noise))
                names.append(f'{name}.jpg')
        (root / f'eurosat-{split}.txt').write_text('\n'.join(names) + '\n', encoding='utf-8')
    return root


def make_fake_copernicus_bigearthnet(root: str | Path, per_split: int = 30, size: int = 12,
                                     seed: int = 0) -> Path:
    """``bigearthnet_s1s2``: multilabel CSVs and S1 (VV, VH) / S2 (12 L2A bands) patches."""
    rng = np.random.default_rng(seed)
    root = Path(root)
    s2_sig = _signatures(len(BEN_CLASSES), len(band_names('s2_l2a')), 200.0, seed)
    s1_sig = _signatures(len(BEN_CLASSES), 2, 2.0, seed + 1)
    n = 0
    for split in SPLITS:
        header = ('s1_path', 's2_path', *BEN_CLASSES)
        lines = [','.join(f'"{c}"' if ',' in c else c for c in header)]
        for _ in range(per_split):
            labels = np.zeros(len(BEN_CLASSES), dtype=int)
            labels[rng.choice(len(BEN_CLASSES), rng.integers(1, 4), replace=False)] = 1
            day = f'2017{(n % 12) + 1:02d}{(n % 28) + 1:02d}'
            s2 = f'S2A_MSIL2A_{day}T101031_N9999_R022_T33UUP/S2A_MSIL2A_{day}T101031_{n:03d}.tif'
            s1 = f'S1A_IW_GRDH_1SDV_{day}T170000/S1A_IW_GRDH_1SDV_{day}T170000_{n:03d}.tif'
            write_geotiff(root / 'BigEarthNet-S2-5%' / s2,
                          _pixels('s2', size, labels @ s2_sig, rng, 80.0))
            write_geotiff(root / 'BigEarthNet-S1-5%' / s1,
                          _pixels('s1', size, labels @ s1_sig, rng, 0.5))
            lines.append(f'{s1},{s2},' + ','.join(map(str, labels)))
            n += 1
        (root / f'multilabel-{split}.csv').write_text('\n'.join(lines) + '\n', encoding='utf-8')
    return root


def make_fake_copernicus_dfc2020(root: str | Path, per_split: int = 6, size: int = 32,
                                 seed: int = 0) -> Path:
    """``dfc2020_s1s2``: ``dfc/``, ``s1/``, ``s2/`` patches of 2×2 class blocks, CSV lists."""
    rng = np.random.default_rng(seed)
    root = Path(root)
    s2_sig = _signatures(len(DFC_RAW), len(band_names('s2_l1c')), 300.0, seed)
    s1_sig = _signatures(len(DFC_RAW), 2, 3.0, seed + 1)
    half, n = size // 2, 0
    for split in SPLITS:
        names = []
        for _ in range(per_split):
            classes = rng.integers(0, len(DFC_RAW), (2, 2))
            index = np.kron(classes, np.ones((half, half), dtype=int))
            raw = np.asarray(DFC_RAW, dtype=np.uint8)[index]
            raw[:2, :2] = 0  # a few unlabelled pixels (ignored)
            name = f'ROIs0000_test_dfc_0_p{n}.tif'
            n += 1
            write_geotiff(root / 'dfc' / name, raw)
            write_geotiff(root / 's2' / name.replace('dfc', 's2'),
                          _pixels('s2', size, s2_sig[index].transpose(2, 0, 1), rng, 100.0))
            write_geotiff(root / 's1' / name.replace('dfc', 's1'),
                          _pixels('s1', size, s1_sig[index].transpose(2, 0, 1), rng, 1.0))
            names.append(name)
        (root / f'dfc-{split}-new.csv').write_text('\n'.join(names) + '\n', encoding='utf-8')
    return root


def make_fake_copernicus_bench(root: str | Path, seed: int = 0) -> dict[str, Path]:
    """All level-2 folders under ``root``: ``{folder name: path}``."""
    root = Path(root)
    return {'eurosat_s1': make_fake_copernicus_eurosat(root / 'eurosat_s1', 's1', seed=seed),
            'eurosat_s2': make_fake_copernicus_eurosat(root / 'eurosat_s2', 's2', seed=seed),
            'bigearthnet_s1s2': make_fake_copernicus_bigearthnet(root / 'bigearthnet_s1s2',
                                                                 seed=seed),
            'dfc2020_s1s2': make_fake_copernicus_dfc2020(root / 'dfc2020_s1s2', seed=seed)}


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: write every fake level-2 task into OUT_DIR."""
    parser = argparse.ArgumentParser(description='Write seeded fake Copernicus-Bench L2 tasks.')
    parser.add_argument('out_dir')
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args(argv)
    for name, path in make_fake_copernicus_bench(args.out_dir, args.seed).items():
        print(f'wrote {name} into {path}')


if __name__ == '__main__':
    main()
