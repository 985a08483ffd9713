"""MMEarth: ~1.2 M global Sentinel-2 tiles with 12 aligned modalities in one h5 file.

Layout (official release, ``<name>`` e.g. ``data_1M_128``)::

    <data_root>/data_<...>.h5                  one dataset per modality + metadata
               /data_<...>_band_stats.json     per-band mean/std/min/max
               /data_<...>_splits.json         {"train": [...], "val": [...], "test": [...]}
               /data_<...>_tile_info.json      {tile_id: {"S2_type": "l1c" | "l2a", ...}}

See :mod:`eossl.datasets.mmearth_layout` for the datasets inside the h5 file and
:class:`~eossl.datasets.transforms.LoadMMEarthSample` for how a sample is decoded.
"""
import json
from pathlib import Path

import numpy as np

from eossl.registry import DATASETS

from .base import EODataset
from .transforms.mmearth_loading import open_h5

S2_TYPES = ('l1c', 'l2a')


@DATASETS.register_module()
class MMEarth(EODataset):
    """The samples of one split of an MMEarth h5 file.

    Items (``load_data_list``): ``sample_id`` (the tile id), ``h5_index`` (row in every h5
    dataset) and ``s2_type``. :meth:`get_data_info` adds what all samples share — ``paths``
    ``{'mmearth': h5 file}`` and ``band_stats`` (the parsed JSON) — so a million-sample index does
    not store them a million times. No h5 handle is kept by the dataset: the loading transform
    opens one per process.

    Args:
        data_root: folder holding the four files above (each found by its ``data_*`` pattern).
        split: a key of the splits JSON (``'train'``, ``'val'``, ``'test'``).
        **kwargs: :class:`EODataset` arguments (``pipeline``, ``indices``, ...).
    """

    @classmethod
    def write_fake_data(cls, root: Path, dataset: dict, size: int) -> Path:
        """Write a tiny fake MMEarth (6 samples of 32 px: its own tile size) under ``root`` for
        ``--preset cpu-tiny`` and return the data_root to read."""
        from eossl.testing import make_fake_mmearth
        return make_fake_mmearth(root, num_samples=6, size=32)

    def __init__(self, data_root: str | Path, split: str = 'train', **kwargs) -> None:
        self.split = split
        self.h5_path = ''
        self.band_stats: dict = {}
        super().__init__(data_root, **kwargs)

    def _single(self, root: Path, pattern: str) -> Path:
        found = sorted(p for p in root.glob(pattern) if p.is_file())
        if len(found) != 1:
            raise FileNotFoundError(f'MMEarth: expected exactly one {pattern} in {root}, found '
                                    f'{[p.name for p in found]}')
        return found[0]

    def _read_json(self, root: Path, suffix: str) -> dict:
        path = self._single(root, f'data_*_{suffix}.json')
        try:
            return json.loads(path.read_text())
        except json.JSONDecodeError as err:
            raise ValueError(f'{path}: not valid JSON ({err})') from err

    def _split_indices(self, root: Path, num_samples: int) -> list[int]:
        splits = self._read_json(root, 'splits')
        if self.split not in splits:
            raise KeyError(f'MMEarth: split "{self.split}" not in the splits file of {root} '
                           f'(splits: {sorted(splits)})')
        indices = [int(i) for i in splits[self.split]]
        bad = [i for i in indices if not 0 <= i < num_samples]
        if bad:
            raise ValueError(f'MMEarth: split "{self.split}" has indices {bad[:5]} outside the '
                             f'{num_samples} samples of {self.h5_path}')
        return indices

    def _s2_types(self, root: Path, metadata: np.ndarray, tile_ids: list[str]) -> list[str]:
        """Per-sample S2 product type, from metadata or (older files) the tile-info JSON."""
        if 'S2_type' in (metadata.dtype.names or ()):
            types = [t.decode() for t in metadata['S2_type']]
        else:
            info = self._read_json(root, 'tile_info')
            missing = [t for t in tile_ids if t not in info]
            if missing:
                raise KeyError(f'MMEarth: tiles {missing[:5]} missing from the tile info of '
                               f'{root}')
            lacking = [t for t in tile_ids if not isinstance(info[t], dict)
                       or 'S2_type' not in info[t]]
            if lacking:
                raise ValueError(f'MMEarth: the tile info JSON in {root} has no "S2_type" field '
                                 f'for tiles {lacking[:5]} (and the h5 metadata has none either); '
                                 'expected {tile_id: {"S2_type": "l1c" | "l2a", ...}}')
            types = [str(info[t]['S2_type']) for t in tile_ids]
        wrong = sorted({t for t in types if t not in S2_TYPES})
        if wrong:
            raise ValueError(f'MMEarth: S2_type values {wrong} in {root}; expected {S2_TYPES}')
        return types

    def load_data_list(self) -> list[dict]:
        """Index the split: one item per h5 row listed in the splits JSON."""
        root = self.require_dir('.', 'MMEarth folder (data_root)')
        h5_file = self._single(root, 'data_*.h5')
        self.h5_path = str(h5_file)
        self.band_stats = self._read_json(root, 'band_stats')
        with open_h5(self.h5_path) as h5:
            if 'metadata' not in h5:
                raise KeyError(f'{h5_file}: no "metadata" dataset (tile ids); datasets: '
                               f'{sorted(h5)}')
            metadata = h5['metadata'][()]
        fields = metadata.dtype.names
        if fields and 'tile_id' not in fields:
            raise ValueError(f'{h5_file}: the "metadata" dataset has no "tile_id" field (fields: '
                           f'{list(fields)}); MMEarth files store one tile id per sample there')
        names = metadata['tile_id'] if fields else metadata
        tile_ids = [name.decode() for name in names]
        indices = self._split_indices(root, len(tile_ids))
        chosen = [tile_ids[i] for i in indices]
        s2_types = self._s2_types(root, metadata[indices], chosen)
        return [dict(sample_id=tile, h5_index=i, s2_type=s2)
                for tile, i, s2 in zip(chosen, indices, s2_types)]

    def get_data_info(self, idx: int) -> dict:
        """The item plus the shared ``paths`` and ``band_stats``."""
        info = super().get_data_info(idx)
        info['paths'] = {'mmearth': self.h5_path}
        info['band_stats'] = self.band_stats
        return info
