"""The files of a shard folder and the index that says where every sample is.

::

    <root>/index.json                 written last: format, shard list with counts, metainfo
          /shard-000000.tar           samples of dataset indices [0, S)
          /shard-000000.idx.json      per sample: key, sample_id, byte offset, size, sha256
          /shard-000001.tar ...

A shard's ``.idx.json`` is written after its ``.tar`` is complete, so its presence marks a
finished shard (packing resumes by skipping those), and ``index.json`` marks a finished
packing. Samples are numbered globally in shard order (``0 .. num_samples - 1``).
"""
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

FORMAT = 'eossl-shards'
VERSION = 1
INDEX_FILE = 'index.json'


def shard_name(shard_id: int) -> str:
    """File name of shard ``shard_id``."""
    return f'shard-{shard_id:06d}.tar'


def sidecar_name(shard_id: int) -> str:
    """File name of the per-sample index of shard ``shard_id``."""
    return f'shard-{shard_id:06d}.idx.json'


def read_json(path: Path, what: str) -> dict:
    """A JSON object file; ValueError naming ``path`` and ``what`` it should be otherwise."""
    try:
        data = json.loads(path.read_text(encoding='utf-8'))
    except (OSError, ValueError) as err:
        raise ValueError(f'{path}: cannot read the {what} ({err})') from err
    if not isinstance(data, dict):
        raise ValueError(f'{path}: the {what} must be a JSON object')
    return data


def write_json_atomic(path: Path, data: dict) -> None:
    """Write ``data`` to ``path`` through a temporary file and an atomic rename."""
    partial = path.with_name(path.name + '.partial')
    partial.write_text(json.dumps(data), encoding='utf-8')
    os.replace(partial, path)


@dataclass
class Location:
    """Where one sample's bytes are: shard file, byte offset and size, and their sha256."""

    shard: Path
    offset: int
    size: int
    sha256: str
    key: str
    sample_id: str = ''


class ShardIndex:
    """The index of a finished shard folder; per-shard sidecars are read on first use.

    Args:
        root: the shard folder (holding ``index.json``).

    Raises:
        FileNotFoundError: ``index.json`` is missing (not a shard folder, or packing unfinished).
        ValueError: ``index.json`` is not an eossl shard index of a supported version.
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        path = self.root / INDEX_FILE
        if not path.is_file():
            raise FileNotFoundError(
                f'{path} does not exist: {self.root} is not a finished eossl shard folder (pack '
                'it with tools/dataset_converters/pack_shards.py; index.json is written last)')
        data = read_json(path, 'shard index')
        if data.get('format') != FORMAT or data.get('version') != VERSION:
            raise ValueError(f'{path}: format {data.get("format")!r} version '
                             f'{data.get("version")!r}, expected {FORMAT!r} version {VERSION}')
        self.data = data
        self.shards: list[dict] = data['shards']
        self.counts = np.array([s['num_samples'] for s in self.shards], dtype=np.int64)
        self.starts = np.concatenate([[0], np.cumsum(self.counts)])
        self.num_samples = int(self.starts[-1])
        if self.num_samples != data['num_samples']:
            raise ValueError(f'{path}: shards hold {self.num_samples} samples, index says '
                             f'{data["num_samples"]}')
        self._sidecars: dict[int, dict] = {}

    @property
    def metainfo(self) -> dict:
        """The packed dataset's metainfo (e.g. ``classes``)."""
        return dict(self.data.get('metainfo') or {})

    def shard_path(self, shard_id: int) -> Path:
        """The ``.tar`` file of shard ``shard_id``."""
        return self.root / self.shards[shard_id]['name']

    def sidecar(self, shard_id: int) -> dict:
        """The per-sample index of shard ``shard_id`` (cached)."""
        if shard_id not in self._sidecars:
            path = self.root / sidecar_name(self.shards[shard_id]['id'])
            side = read_json(path, 'per-shard sample index')
            if len(side['offsets']) != self.shards[shard_id]['num_samples']:
                raise ValueError(f'{path}: lists {len(side["offsets"])} samples, index.json '
                                 f'says {self.shards[shard_id]["num_samples"]}')
            self._sidecars[shard_id] = side
        return self._sidecars[shard_id]

    def locate(self, sample: int) -> Location:
        """Where global sample number ``sample`` is stored."""
        if not 0 <= sample < self.num_samples:
            raise IndexError(f'{self.root}: sample {sample} outside 0..{self.num_samples - 1}')
        shard_id = int(np.searchsorted(self.starts, sample, side='right') - 1)
        i = sample - int(self.starts[shard_id])
        side = self.sidecar(shard_id)
        return Location(self.shard_path(shard_id), side['offsets'][i], side['sizes'][i],
                        side['sha256'][i], side['keys'][i], side['sample_ids'][i])

    def __getstate__(self) -> dict:
        """Pickle without the sidecar cache (DataLoader workers read their own)."""
        return dict(self.__dict__, _sidecars={})
