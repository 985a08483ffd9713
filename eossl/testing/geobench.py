"""Seeded fake GEO-Bench v1 task folders (one HDF5 file per sample, partitions, band stats).

The files follow the layout :mod:`eossl.datasets.geobench` reads (and GEO-Bench writes): one 2-D
dataset per band named by its descriptor, a ``pickle`` root attribute holding the repr of a
pickled dict with ``bands_order`` and the ``label`` (an int, or a 0/1 list for multi-label),
a ``label`` dataset for segmentation tasks, ``default_partition.json`` and the label-fraction
partitions ``0.10x_train_partition.json`` / ``1.00x_train_partition.json``. Class signatures
are added to the band levels so probes can learn them.

Run as a script: ``python -m eossl.testing.geobench OUT_DIR`` writes ``m-eurosat`` and
``m-bigearthnet``.
"""
import argparse
import json
import pickle
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import h5py
import numpy as np

S2_DESCRIPTORS = ('01 - Coastal aerosol', '02 - Blue', '03 - Green', '04 - Red',
                  '05 - Vegetation Red Edge', '06 - Vegetation Red Edge',
                  '07 - Vegetation Red Edge', '08 - NIR', '08A - Vegetation Red Edge',
                  '09 - Water vapour', '10 - SWIR - Cirrus', '11 - SWIR', '12 - SWIR')


def write_sample(path: Path, bands: dict[str, np.ndarray], label) -> None:
    """One GEO-Bench HDF5 sample: ``bands`` ``{descriptor: (H, W)}`` and a label."""
    path.parent.mkdir(parents=True, exist_ok=True)
    attrs: dict[str, Any] = {d: {'band_info': {'name': d}} for d in bands}
    attrs['bands_order'] = list(bands)
    with h5py.File(path, 'w') as handle:
        for descriptor, data in bands.items():
            handle.create_dataset(descriptor, data=data)
        if isinstance(label, np.ndarray) and label.ndim == 2:
            handle.create_dataset('label', data=label)
            attrs['bands_order'].append('label')
        else:
            attrs['label'] = label
        handle.attrs['pickle'] = str(pickle.dumps(attrs))


def make_fake_geobench_task(root: str | Path, num_classes: int = 10, multi_label: bool = False,
                            per_split: int = 40, size: int = 16, seed: int = 0) -> Path:
    """A classification task folder with ``per_split`` samples in train / valid / test."""
    rng = np.random.default_rng(seed)
    root = Path(root)
    sig = np.random.default_rng(seed + 7).normal(0, 300, (num_classes, len(S2_DESCRIPTORS)))
    partition: dict[str, list[str]] = {'train': [], 'valid': [], 'test': []}
    n = 0
    for split in partition:
        for _ in range(per_split):
            if multi_label:
                label = np.zeros(num_classes, dtype=int)
                label[rng.choice(num_classes, rng.integers(1, 4), replace=False)] = 1
                signal = label @ sig
                stored = label.tolist()
            else:
                stored = int(rng.integers(num_classes))
                signal = sig[stored]
            bands = {d: (1000 + 100 * k + signal[k] + rng.normal(0, 100, (size, size)))
                     .astype(np.int16) for k, d in enumerate(S2_DESCRIPTORS)}
            name = f'id_{n:04d}'
            write_sample(root / f'{name}.hdf5', bands, stored)
            partition[split].append(name)
            n += 1
    (root / 'default_partition.json').write_text(json.dumps(partition), encoding='utf-8')
    (root / '1.00x_train_partition.json').write_text(json.dumps(partition), encoding='utf-8')
    small = dict(partition, train=partition['train'][:max(1, per_split // 10)])
    (root / '0.10x_train_partition.json').write_text(json.dumps(small), encoding='utf-8')
    stats = {d: {'mean': 1000.0 + 100 * k, 'std': 300.0} for k, d in enumerate(S2_DESCRIPTORS)}
    (root / 'band_stats.json').write_text(json.dumps(stats), encoding='utf-8')
    return root


def make_fake_geobench(root: str | Path, seed: int = 0) -> dict[str, Path]:
    """``m-eurosat`` (10 classes) and ``m-bigearthnet`` (43 classes, multi-label) under root."""
    root = Path(root)
    return {'m-eurosat': make_fake_geobench_task(root / 'm-eurosat', 10, seed=seed),
            'm-bigearthnet': make_fake_geobench_task(root / 'm-bigearthnet', 43, True,
                                                     seed=seed)}


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: write the fake GEO-Bench tasks into OUT_DIR."""
    parser = argparse.ArgumentParser(description='Write seeded fake GEO-Bench v1 tasks.')
    parser.add_argument('out_dir')
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args(argv)
    for name, path in make_fake_geobench(args.out_dir, args.seed).items():
        print(f'wrote {name} into {path}')


if __name__ == '__main__':
    main()
