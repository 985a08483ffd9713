"""Pack an eossl dataset into litdata chunks: parallel, resumable, with a sha256 per chunk.

Chunk ``p`` holds the dataset items ``[p·S, (p+1)·S)`` (``S = samples_per_shard``) and is written
by its own litdata ``BinaryWriter``, so chunks are written independently (by any worker, in any
order). A finished chunk is recorded in ``.parts/<p>.json`` (its litdata index entry, sha256 and
skipped items), which a rerun keeps. The merged ``index.json`` — litdata's index with an
``eossl`` section (dataset size, metainfo, source config, skipped items, per-chunk sha256) — is
written last, so its presence marks a finished packing.
"""
import hashlib
import json
import logging
import multiprocessing
import os
import shutil
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from mmengine.logging import print_log
from mmengine.utils import ProgressBar

from eossl.datasets.errors import InvalidSampleError
from eossl.disk_writes import DiskWriteError, atomic_output, write_error

from .compact_codec import SHARED_FIELDS, CompactEncoder
from .engine import INDEX_FILE, BinaryWriter
from .sample_codec import encode_sample, json_safe

PARTS = '.parts'
LAYOUTS = ('files', 'compact')
# the dataset being packed and its encoder, inherited by forked workers (not pickled to them)
_DATASET = _ENCODER = None


def write_json_atomic(path: Path, data: dict) -> None:
    """Write ``data`` to ``path`` through a temporary file and an atomic rename."""
    with atomic_output(str(path)) as partial:
        Path(partial).write_text(json.dumps(data), encoding='utf-8')


def _finished_part(out_dir: Path, part: int, samples_per_shard: int, size: int,
                   layout: str) -> dict | None:
    """The record of chunk ``part`` when an earlier run finished it for this same packing."""
    path = out_dir / PARTS / f'{part}.json'
    if not path.is_file():
        return None
    record = json.loads(path.read_text(encoding='utf-8'))
    old = (record['samples_per_shard'], record['dataset_size'], record.get('layout', 'files'))
    if old != (samples_per_shard, size, layout):
        raise ValueError(f'{path} belongs to another packing (samples_per_shard, dataset size, '
                         f'layout {old}; now {(samples_per_shard, size, layout)}): write into '
                         'an empty folder')
    chunks = record['chunks']
    if chunks and not (out_dir / chunks[0]['filename']).is_file():
        return None
    return record


def shared_fields(dataset) -> dict:
    """The fields every item of ``dataset`` shares (``SHARED_FIELDS``, e.g. MMEarth's
    ``band_stats``), stored once in ``index.json`` instead of in every sample."""
    first = dataset.get_data_info(0) if len(dataset) else {}
    return {k: first[k] for k in SHARED_FIELDS if k in first}


def pack_part(dataset, out_dir: Path, part: int, samples_per_shard: int,
              encode: Callable[[dict], dict] = encode_sample) -> dict:
    """Write chunk ``part`` with litdata's writer (``encode``: item → litdata sample); returns
    its record.

    Items raising :class:`InvalidSampleError` are recorded under ``skipped`` and left out when
    ``dataset.skip_invalid`` is true; otherwise the error propagates, naming the item. A
    failed write (a full disk) deletes the chunk's scratch folder and raises
    :class:`~eossl.disk_writes.DiskWriteError` naming it, its items and the free space.
    """
    scratch = out_dir / PARTS / f'{part}.writing'
    try:
        return _write_part(dataset, out_dir, part, samples_per_shard, scratch, encode)
    except OSError as error:  # a full disk: no half chunk stays behind to fill it further
        shutil.rmtree(scratch, ignore_errors=True)
        if isinstance(error, DiskWriteError):
            raise
        items = f'items {part * samples_per_shard}-{(part + 1) * samples_per_shard - 1}'
        raise write_error(error, f'{scratch} (chunk {part}, {items})', str(scratch),
                          '; chunks already finished are kept and a rerun writes the rest'
                          ) from error


def _write_part(dataset, out_dir: Path, part: int, samples_per_shard: int, scratch: Path,
                encode: Callable[[dict], dict]) -> dict:
    """:func:`pack_part` in the scratch folder ``scratch``, moved into ``out_dir`` when done."""
    first = part * samples_per_shard
    last = min(first + samples_per_shard, len(dataset))
    shutil.rmtree(scratch, ignore_errors=True)
    writer = BinaryWriter(str(scratch), chunk_size=samples_per_shard, chunk_index=part)
    skipped, written = {}, 0
    for index in range(first, last):
        item = dataset.get_data_info(index)
        try:
            sample = encode(item)
        except InvalidSampleError as err:
            if not getattr(dataset, 'skip_invalid', False):
                raise
            skipped[str(item.get('sample_id', index))] = str(err)
            continue
        writer[written] = sample
        written += 1
    record: dict[str, Any] = dict(
        part=part, samples_per_shard=samples_per_shard, dataset_size=len(dataset),
        layout=getattr(encode, 'layout', 'files'), chunks=[], config=None, sha256=[],
        skipped=skipped)
    if written:
        writer.done()
        index = json.loads(next(scratch.glob(f'*.{INDEX_FILE}')).read_text(encoding='utf-8'))
        record.update(chunks=index['chunks'], config=index['config'])
        for chunk in index['chunks']:
            data = (scratch / chunk['filename']).read_bytes()
            record['sha256'].append(hashlib.sha256(data).hexdigest())
            os.replace(scratch / chunk['filename'], out_dir / chunk['filename'])
    write_json_atomic(out_dir / PARTS / f'{part}.json', record)
    shutil.rmtree(scratch, ignore_errors=True)
    return record


def _pack_in_worker(args: tuple[Path, int, int]) -> dict:
    """Pool task: pack one chunk of the inherited dataset."""
    return pack_part(_DATASET, *args, encode=_ENCODER)


def pack_dataset(dataset, out_dir: str | Path, *, samples_per_shard: int = 1000,
                 workers: int = 0, source: Mapping | None = None, layout: str = 'files',
                 loaders: Sequence[dict] | None = None) -> dict:
    """Pack every item of ``dataset`` (an eossl dataset, its ``full_init()`` done) into
    ``out_dir``; chunks finished by an earlier run are kept.

    Args:
        dataset: anything with ``len()``, ``get_data_info(i)`` returning eossl items (with
            ``paths``), ``metainfo`` and ``skip_invalid``.
        out_dir: the output folder (created); a local path (copy it to object storage after).
        samples_per_shard: items per chunk; aim for chunks of 64 MB – 1 GB.
        workers: processes writing chunks in parallel (0 or 1: this process). Workers are
            forked and inherit ``dataset``.
        source: the dataset config, recorded in ``index.json`` for provenance.
        layout: ``'files'`` (default: every raster as stored, read by the recipe's unchanged
            pipeline) or ``'compact'`` (each item decoded once by ``loaders`` and stored as one
            small-dtype array per modality, :mod:`.compact_codec`; read with
            ``LoadPackedBands``).
        loaders: the recipe's loading transform configs (``'compact'`` only; see
            :func:`~.compact_codec.loading_steps`), recorded in ``index.json``.

    Returns:
        The written ``index.json`` (litdata's ``chunks`` and ``config``, and ``eossl``).
    """
    global _DATASET, _ENCODER
    if samples_per_shard < 1:
        raise ValueError(f'samples_per_shard must be >= 1, got {samples_per_shard}')
    if layout not in LAYOUTS or (layout == 'compact') != bool(loaders):
        raise ValueError(f'pack_dataset: layout={layout!r} with loaders={loaders!r}; expected '
                         f"'files' without loaders or 'compact' with the recipe's loaders")
    encode = CompactEncoder(loaders) if layout == 'compact' else encode_sample
    out_dir = Path(out_dir)
    (out_dir / PARTS).mkdir(parents=True, exist_ok=True)
    total = len(dataset)
    num_parts = -(-total // samples_per_shard)
    records = {p: _finished_part(out_dir, p, samples_per_shard, total, layout)
               for p in range(num_parts)}
    todo = [p for p, record in records.items() if record is None]
    print_log(f'pack_shards: {total} samples in {num_parts} chunks of {samples_per_shard} into '
              f'{out_dir}; {num_parts - len(todo)} chunks already finished, {len(todo)} to write',
              logger='current', level=logging.INFO)
    progress = ProgressBar(len(todo)) if todo else None
    if workers > 1 and len(todo) > 1:
        _DATASET, _ENCODER = dataset, encode
        try:
            with multiprocessing.get_context('fork').Pool(min(workers, len(todo))) as pool:
                for record in pool.imap_unordered(_pack_in_worker,
                                                  [(out_dir, p, samples_per_shard) for p in todo]):
                    records[record['part']] = record
                    progress.update()
        finally:
            _DATASET = _ENCODER = None
    else:
        for p in todo:
            records[p] = pack_part(dataset, out_dir, p, samples_per_shard, encode)
            progress.update()
    ordered = [records[p] for p in range(num_parts)]
    chunks = [c for r in ordered for c in r['chunks']]
    if not chunks:
        raise ValueError(f'{out_dir}: no sample of the {total} could be packed (see "skipped" '
                         f'in {out_dir / PARTS}/*.json)')
    skipped = {k: v for r in ordered for k, v in r['skipped'].items()}
    index = dict(chunks=chunks, config=next(r['config'] for r in ordered if r['config']),
                 eossl=dict(dataset_size=total, samples_per_shard=samples_per_shard,
                            num_samples=sum(c['chunk_size'] for c in chunks), skipped=skipped,
                            sha256=[h for r in ordered for h in r['sha256']],
                            dataset_type=type(dataset).__name__,
                            metainfo=json_safe(dict(dataset.metainfo)),
                            source=json_safe(dict(source or {})), layout=layout,
                            loaders=json_safe(list(loaders or [])),
                            shared_fields=json_safe(shared_fields(dataset))))
    write_json_atomic(out_dir / INDEX_FILE, index)
    if skipped:
        print_log(f'pack_shards: {len(skipped)} invalid samples were left out (listed under '
                  '"eossl.skipped" in index.json)', logger='current', level=logging.WARNING)
    return index
