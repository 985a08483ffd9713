"""Pack an eossl dataset into tar shards: parallel over shards, resumable, with progress.

Shard ``i`` holds the dataset items ``[i·S, (i+1)·S)`` (``S = samples_per_shard``), so every
shard can be written independently (by any worker, in any order) and a rerun skips the shards
already finished. A shard is written as ``.tar.partial`` then renamed; its ``.idx.json``
(offsets, sizes, sha256 per sample) is written last and marks it finished. ``index.json`` is
written once every shard is.
"""
import hashlib
import logging
import multiprocessing
import os
from collections.abc import Mapping
from pathlib import Path

from mmengine.logging import print_log
from mmengine.utils import ProgressBar

from eossl.datasets.errors import InvalidSampleError

from .index import (
    FORMAT,
    INDEX_FILE,
    VERSION,
    ShardIndex,
    read_json,
    shard_name,
    sidecar_name,
    write_json_atomic,
)
from .sample_codec import encode_sample, json_safe
from .tar_io import END_OF_ARCHIVE, tar_member

# the dataset being packed, inherited by forked workers instead of being pickled to them
_DATASET = None


def _finished_sidecar(out_dir: Path, shard_id: int, samples_per_shard: int,
                      num_items: int) -> dict | None:
    """The sidecar of shard ``shard_id`` when it is finished and belongs to this packing."""
    side_path, tar_path = out_dir / sidecar_name(shard_id), out_dir / shard_name(shard_id)
    if not side_path.is_file():
        return None
    side = read_json(side_path, 'per-shard sample index')
    if (side.get('samples_per_shard'), side.get('dataset_size')) != (samples_per_shard,
                                                                      num_items):
        raise ValueError(f'{side_path} belongs to another packing (samples_per_shard='
                         f'{side.get("samples_per_shard")}, dataset size '
                         f'{side.get("dataset_size")}; now {samples_per_shard}, {num_items}): '
                         'write into an empty folder')
    if not tar_path.is_file() or tar_path.stat().st_size != side['bytes']:
        return None
    return side


def pack_shard(dataset, out_dir: Path, shard_id: int, samples_per_shard: int) -> dict:
    """Write shard ``shard_id`` and its sidecar; returns the sidecar.

    Items raising :class:`InvalidSampleError` are recorded in the sidecar's ``skipped`` and left
    out when ``dataset.skip_invalid`` is true; otherwise the error propagates, naming the item.
    """
    first = shard_id * samples_per_shard
    last = min(first + samples_per_shard, len(dataset))
    side = dict(shard=shard_name(shard_id), samples_per_shard=samples_per_shard,
                dataset_size=len(dataset), first_index=first, keys=[], sample_ids=[],
                offsets=[], sizes=[], sha256=[], skipped={})
    tar_path = out_dir / shard_name(shard_id)
    partial = tar_path.with_name(tar_path.name + '.partial')
    offset = 0
    with open(partial, 'wb') as tar:
        for index in range(first, last):
            key = f'{index:09d}'
            item = dataset.get_data_info(index)
            try:
                blob = b''.join(tar_member(n, p) for n, p in encode_sample(key, item))
            except InvalidSampleError as err:
                if not getattr(dataset, 'skip_invalid', False):
                    raise
                side['skipped'][key] = str(err)
                continue
            tar.write(blob)
            side['keys'].append(key)
            side['sample_ids'].append(str(item.get('sample_id', key)))
            side['offsets'].append(offset)
            side['sizes'].append(len(blob))
            side['sha256'].append(hashlib.sha256(blob).hexdigest())
            offset += len(blob)
        tar.write(END_OF_ARCHIVE)
        tar.flush()
        os.fsync(tar.fileno())
    side['bytes'] = offset + len(END_OF_ARCHIVE)
    os.replace(partial, tar_path)
    write_json_atomic(out_dir / sidecar_name(shard_id), side)
    return side


def _pack_in_worker(args: tuple[Path, int, int]) -> dict:
    """Pool task: pack one shard of the inherited dataset."""
    return pack_shard(_DATASET, *args)


def pack_dataset(dataset, out_dir: str | Path, *, samples_per_shard: int = 1000,
                 workers: int = 0, source: Mapping | None = None) -> ShardIndex:
    """Pack every item of ``dataset`` (an eossl dataset, its ``full_init()`` done) into
    ``out_dir``; shards finished by an earlier run are kept.

    Args:
        dataset: anything with ``len()``, ``get_data_info(i)`` returning eossl items (with
            ``paths``), ``metainfo`` and ``skip_invalid``.
        out_dir: the shard folder (created).
        samples_per_shard: items per shard; aim for shards of 100 MB – 1 GB.
        workers: processes writing shards in parallel (0 or 1: this process). Workers are
            forked and inherit ``dataset``.
        source: the dataset config, recorded in ``index.json`` for provenance.

    Returns:
        The :class:`ShardIndex` of the finished folder.
    """
    global _DATASET
    if samples_per_shard < 1:
        raise ValueError(f'samples_per_shard must be >= 1, got {samples_per_shard}')
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    total = len(dataset)
    num_shards = -(-total // samples_per_shard)
    sidecars = {i: _finished_sidecar(out_dir, i, samples_per_shard, total)
                for i in range(num_shards)}
    todo = [i for i, side in sidecars.items() if side is None]
    print_log(f'pack_shards: {total} samples in {num_shards} shards of {samples_per_shard} into '
              f'{out_dir}; {num_shards - len(todo)} shards already finished, {len(todo)} to write',
              logger='current', level=logging.INFO)
    progress = ProgressBar(len(todo)) if todo else None
    if workers > 1 and len(todo) > 1:
        _DATASET = dataset
        try:
            with multiprocessing.get_context('fork').Pool(min(workers, len(todo))) as pool:
                for side in pool.imap_unordered(_pack_in_worker,
                                                [(out_dir, i, samples_per_shard) for i in todo]):
                    sidecars[int(side['first_index']) // samples_per_shard] = side
                    progress.update()
        finally:
            _DATASET = None
    else:
        for i in todo:
            sidecars[i] = pack_shard(dataset, out_dir, i, samples_per_shard)
            progress.update()
    shards = [dict(id=i, name=shard_name(i), num_samples=len(side['keys']), bytes=side['bytes'])
              for i, side in sorted(sidecars.items())]
    skipped = sum(len(side['skipped']) for side in sidecars.values())
    write_json_atomic(out_dir / INDEX_FILE, dict(
        format=FORMAT, version=VERSION, num_samples=sum(s['num_samples'] for s in shards),
        dataset_size=total, samples_per_shard=samples_per_shard, skipped=skipped, shards=shards,
        dataset_type=type(dataset).__name__, metainfo=json_safe(dict(dataset.metainfo)),
        source=json_safe(dict(source or {}))))
    if skipped:
        print_log(f'pack_shards: {skipped} invalid samples were left out (listed under "skipped" '
                  'in the .idx.json files)', logger='current', level=logging.WARNING)
    return ShardIndex(out_dir)
