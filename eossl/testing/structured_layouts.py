"""Structured scenes (:mod:`eossl.testing.structured_scenes`) written in a dataset's exact layout.

One writer per dataset a method reads — SSL4EO-S12 (+ SSL4EO-S12-ML labels; SoftCon, PerA),
SEN12MS (Dual-SimCLR), MMEarth h5 (MP-MAE) — through the random-data writers of
:mod:`eossl.testing` with their ``pixel_source`` / ``arrays`` arguments, so the files are
exactly what the datasets read. Each writer splits the scenes into ``train`` and ``test``
(held-out) and saves beside the data:

- ``split_train.txt`` / ``split_test.txt``: the sample ids of each split, in the form the
  dataset's ``split_file`` accepts (SSL4EO-S12, SEN12MS; MMEarth uses its splits JSON);
- ``structured_labels.npz``: for every scene in write order ``sample_id``, ``split``
  (0 train, 1 test), ``dominant`` (class index), ``multi_hot`` ``(N, 7)``, ``fractions``,
  ``class_map`` ``(N, H, W)``, and the scene arrays ``s2`` ``(N, 13, H, W)`` reflectance and
  ``s1`` ``(N, 2, H, W)`` dB, so a probe can read held-out scenes and their per-pixel maps.

Run as a script: ``python -m eossl.testing.structured_layouts {ssl4eo_s12,sen12ms,mmearth}
OUT_DIR [--num-train N --num-test M --size P --seed S]``.
"""
import argparse
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from eossl.datasets.mmearth_layout import S2_STORED_BANDS

from .structured_scenes import (
    CLASSES,
    DYNAMIC_WORLD,
    NUM_BIOMES,
    S2_BANDS,
    WORLDCOVER,
    StructuredScene,
    make_scenes,
)

LABELS_FILE = 'structured_labels.npz'


def _downsample(band: np.ndarray, side: int) -> np.ndarray:
    """Block mean of a ``(H, W)`` band onto ``(side, side)`` (H divisible by side)."""
    f = band.shape[0] // side
    return band.reshape(side, f, side, f).mean((1, 3))


def _dn(reflectance: np.ndarray) -> np.ndarray:
    """Reflectance 0..1 → S2 uint16 digital numbers (× 10000)."""
    return (reflectance * 10000).round().clip(1, 65535).astype(np.uint16)


def _save_labels(root: Path, scenes: list[StructuredScene], ids: list[str], num_train: int,
                 split_files: bool = True) -> Path:
    """Write the split lists and ``structured_labels.npz``; return the npz path."""
    root.mkdir(parents=True, exist_ok=True)
    split = np.array([0] * num_train + [1] * (len(scenes) - num_train))
    if split_files:
        (root / 'split_train.txt').write_text('\n'.join(ids[:num_train]) + '\n')
        (root / 'split_test.txt').write_text('\n'.join(ids[num_train:]) + '\n')
    path = root / LABELS_FILE
    np.savez_compressed(
        path, sample_id=np.array(ids), split=split, classes=np.array(CLASSES),
        dominant=np.array([s.dominant for s in scenes]),
        multi_hot=np.stack([s.multi_hot() for s in scenes]),
        fractions=np.stack([s.fractions() for s in scenes]).astype(np.float32),
        class_map=np.stack([s.class_map for s in scenes]).astype(np.uint8),
        s2=np.stack([s.s2 for s in scenes]), s1=np.stack([s.s1 for s in scenes]))
    return path


def _check(num_train: int, num_test: int) -> None:
    if num_train < 1 or num_test < 1:
        raise ValueError(f'need at least one train and one test scene, got {num_train}, '
                         f'{num_test}')


def make_structured_ssl4eo_s12(root: str | Path, num_train: int = 8, num_test: int = 4,
                               size: int = 48, seed: int = 0,
                               modalities: Sequence[str] = ('s1', 's2c')) -> dict:
    """SSL4EO-S12 with one season per location, SSL4EO-S12-ML labels = the scene's multi-hot
    classes as Dynamic World indices (9-class space). ``size`` must be divisible by 6.

    Returns: ``{'locations', 'labels_file', 'split_train', 'split_test', 'labels'}``
    (``labels`` = the npz path).
    """
    from .ssl4eo_s12 import make_fake_ssl4eo_s12

    _check(num_train, num_test)
    scenes = make_scenes(num_train + num_test, size, seed)

    def pixels(n: int, modality: str, _season: int, band: str, side: int) -> np.ndarray:
        scene = scenes[n]
        if modality == 's1':
            return _downsample(scene.s1[('VV', 'VH').index(band)], side).astype(np.float32)
        return _dn(_downsample(scene.s2[S2_BANDS.index(band)], side))

    def labels(n: int, _season: int) -> list[int]:
        return DYNAMIC_WORLD[np.flatnonzero(scenes[n].multi_hot())].tolist()

    root = Path(root)
    out = make_fake_ssl4eo_s12(root, num_train + num_test, seasons=1, size=size, seed=seed,
                               modalities=modalities, pixel_source=pixels, label_source=labels)
    npz = _save_labels(root, scenes, out['locations'], num_train)
    return dict(locations=out['locations'], labels_file=out['labels_file'],
                split_train=root / 'split_train.txt', split_test=root / 'split_test.txt',
                labels=npz)


def make_structured_sen12ms(root: str | Path, num_train: int = 8, num_test: int = 4,
                            size: int = 48, seed: int = 0) -> dict:
    """SEN12MS s1/s2 patch pairs (the ``lc`` file holds IGBP = WorldCover code of the class
    map, for completeness). Returns ``{'split_train', 'split_test', 'labels'}``."""
    from .sen12ms import SEASONS, make_fake_sen12ms

    _check(num_train, num_test)
    scenes = make_scenes(num_train + num_test, size, seed)
    keys = [(SEASONS[n % 4], 1 + n // 400, n % 400) for n in range(len(scenes))]

    def pixels(n: int, modality: str, _size: int) -> np.ndarray:
        scene = scenes[n]
        if modality == 's1':
            return scene.s1
        if modality == 's2':
            return _dn(scene.s2)
        return np.repeat(WORLDCOVER[scene.class_map][None], 4, 0).astype(np.uint16)

    root = Path(root)
    make_fake_sen12ms(root, seed=seed, size=size, patches=keys, modalities=('s1', 's2', 'lc'),
                      pixel_source=pixels)
    ids = [f'{season}_{scene}_p{patch}' for season, scene, patch in keys]
    npz = _save_labels(root, scenes, ids, num_train)
    return dict(split_train=root / 'split_train.txt', split_test=root / 'split_test.txt',
                labels=npz)


def _sin_cos(angle: np.ndarray) -> np.ndarray:
    return np.stack([np.sin(angle), np.cos(angle)], 1).astype(np.float32)


def _mmearth_arrays(scenes: list[StructuredScene]) -> dict[str, np.ndarray]:
    """The MMEarth h5 datasets of ``scenes`` in their stored dtypes and band orders."""
    order = [S2_BANDS.index(b) for b in S2_STORED_BANDS]
    s2 = _dn(np.stack([s.s2[order] for s in scenes]))
    s2[1::2, S2_STORED_BANDS.index('B10')] = 0  # odd rows are L2A (no B10), as in the fake
    s1 = np.full((len(scenes), 8, *scenes[0].s1.shape[1:]), -np.inf, np.float32)
    s1[:, [0, 1]] = [s.s1 for s in scenes]                 # ascending VV, VH
    s1[:, [4, 5]] = [s.s1 - 0.5 for s in scenes]           # descending VV, VH
    lat = np.deg2rad([s.lat for s in scenes])
    month = np.array([s.month for s in scenes])
    temperature = 25 - 30 * np.abs(np.sin(lat)) + 8 * np.cos(2 * np.pi * (month - 7) / 12)
    era5 = np.repeat(temperature[:, None], 12, 1).astype(np.float32)
    return {
        'sentinel2': s2, 'sentinel1': s1,
        'aster': np.stack([np.stack([s.elevation, s.slope]) for s in scenes]).round()
        .astype(np.int16),
        'canopy_height_eth': np.stack([np.stack([s.canopy_height, 0 * s.canopy_height + 2])
                                       for s in scenes]).round().astype(np.uint8),
        'dynamic_world': np.stack([DYNAMIC_WORLD[s.class_map][None] + 1 for s in scenes])
        .astype(np.uint8),
        'esa_worldcover': np.stack([WORLDCOVER[s.class_map][None] for s in scenes])
        .astype(np.uint8),
        'lat': _sin_cos(lat), 'lon': _sin_cos(np.deg2rad([s.lon for s in scenes])),
        'month': _sin_cos(2 * np.pi * month / 12), 'era5': era5,
        'biome': np.eye(NUM_BIOMES, dtype=np.uint8)[[s.biome for s in scenes]]}


def make_structured_mmearth(root: str | Path, num_train: int = 8, num_test: int = 4,
                            size: int = 32, seed: int = 0, name: str = 'data_structured') -> dict:
    """MMEarth h5 folder ``root/name`` whose splits JSON holds ``train`` (first scenes),
    ``val`` and ``test`` (both the held-out scenes). Returns ``{'folder', 'labels'}``."""
    from .mmearth import make_fake_mmearth

    _check(num_train, num_test)
    scenes = make_scenes(num_train + num_test, size, seed)
    n = len(scenes)
    facts = dict(lat=np.array([s.lat for s in scenes]), lon=np.array([s.lon for s in scenes]),
                 month=np.array([s.month for s in scenes]),
                 biome=np.array([s.biome for s in scenes]))
    held_out = list(range(num_train, n))
    folder = make_fake_mmearth(root, n, size, seed, name, arrays=_mmearth_arrays(scenes),
                               facts=facts, splits={'train': list(range(num_train)),
                                                    'val': held_out, 'test': held_out})
    npz = _save_labels(folder, scenes, [str(i) for i in range(n)], num_train, split_files=False)
    return dict(folder=folder, labels=npz)


WRITERS = {'ssl4eo_s12': make_structured_ssl4eo_s12, 'sen12ms': make_structured_sen12ms,
           'mmearth': make_structured_mmearth}


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: write structured scenes in one dataset's layout into OUT_DIR."""
    parser = argparse.ArgumentParser(description='Write seeded structured EO scenes.')
    parser.add_argument('layout', choices=sorted(WRITERS))
    parser.add_argument('out_dir')
    parser.add_argument('--num-train', type=int, default=8)
    parser.add_argument('--num-test', type=int, default=4)
    parser.add_argument('--size', type=int, default=48)
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args(argv)
    WRITERS[args.layout](args.out_dir, args.num_train, args.num_test, args.size, args.seed)
    print(f'wrote {args.num_train} + {args.num_test} structured scenes ({args.layout}) '
          f'into {args.out_dir}')


if __name__ == '__main__':
    main()
