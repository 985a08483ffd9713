"""One dataset item ⇄ one litdata sample ``{'sample': JSON text, 'pixels': bytes}``.

- ``sample``: ``{"item": <every item field but paths>, "sources": {modality: source},
  "crc32": <of pixels>}`` where a source is ``{"file": raster}`` (the item's path was one file)
  or ``{"bands": {band: raster}}`` (a ``{band: file}`` dict), and a raster is ``{"offset",
  "dtype", "shape", "descriptions", "nodata", "crs" (``EPSG:xxxx`` or WKT), "transform" (a, b,
  c, d, e, f), "path" (the original file)}``;
- ``pixels``: every raster's pixels ``(C, H, W)`` one after the other, each in its own dtype
  and on its own grid — nothing is resampled or converted.

(This is the ``files`` layout; :mod:`.compact_codec` is the ``compact`` one, told apart by
``"layout": "compact"`` in ``sample``.) Decoding puts an
:class:`~eossl.datasets.array_raster.ArrayRaster` where the item had a path, so
``LoadMultiBandImage`` reads the sample exactly as it reads the files. The record's checksum of
``pixels`` (checked when read; CRC-32 here, xxh3-64 in compact records: :mod:`.checksum`)
catches a changed byte, which the litdata chunk layout alone cannot.
"""
import json
import math
import os
from typing import Any

import numpy as np
import rasterio

from eossl.datasets.array_raster import ArrayRaster
from eossl.datasets.errors import InvalidSampleError

from .checksum import CRC32, checksum_problem, pixel_checksum, record_checksum


class ShardCorruptError(InvalidSampleError):
    """Bytes of a chunk that do not decode: the message names the chunk file and the sample.

    An :class:`InvalidSampleError`, so a dataset with ``skip_invalid=True`` skips the sample and
    logs it like any other unreadable sample.
    """


def json_safe(value: object) -> object:
    """numpy scalars/arrays, tuples and paths as JSON types; non-finite floats as strings."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, np.ndarray):
        return json_safe(value.tolist())
    if isinstance(value, np.generic):
        return json_safe(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if hasattr(value, '__fspath__'):
        return str(value)
    raise TypeError(f'{type(value).__name__} value {value!r} cannot be stored as JSON')


def read_raster(path: str) -> tuple[np.ndarray, dict]:
    """``(pixels (C, H, W) in the file's dtype, raster metadata)`` of one raster file.

    Raises:
        InvalidSampleError: naming ``path`` when it is missing or unreadable.
        ValueError: ``path`` is an HDF5 file (MMEarth), which is not packed.
    """
    if path.lower().endswith(('.h5', '.hdf5')):
        raise ValueError(f'{path}: an HDF5 file; MMEarth is already one file read row by row (no '
                         'small-file problem), so it is trained on directly, not packed')
    try:
        with rasterio.open(path) as src:
            pixels = src.read()
            meta = dict(descriptions=list(src.descriptions), nodata=list(src.nodatavals),
                        crs=src.crs.to_string() if src.crs else None,
                        transform=list(src.transform)[:6], path=str(path))
    except (rasterio.errors.RasterioError, OSError) as err:
        raise InvalidSampleError(f'{path}: cannot read the raster to pack it ({err})') from err
    return pixels, meta


def encode_sample(item: dict) -> dict:
    """The litdata sample of one dataset item (its rasters read from their files).

    Raises:
        InvalidSampleError: the item has no ``paths``, a file is unreadable, a path is not a
            file, or a field cannot be stored as JSON.
    """
    sample_id = str(item.get('sample_id', '?'))
    paths = item.get('paths')
    if not isinstance(paths, dict) or not paths:
        raise InvalidSampleError(f'sample {sample_id!r}: no "paths" to pack (got {paths!r})')
    arrays: list[bytes] = []

    def add(path: object) -> dict:
        """Read one raster file into ``arrays``; its JSON metadata."""
        pixels, meta = read_raster(str(path))
        offset = sum(len(a) for a in arrays)
        arrays.append(np.ascontiguousarray(pixels).tobytes())
        return dict(offset=offset, dtype=pixels.dtype.str, shape=list(pixels.shape), **meta)

    sources: dict[str, dict] = {}
    for modality, source in paths.items():
        if isinstance(source, dict):
            sources[modality] = {'bands': {band: add(p) for band, p in source.items()}}
        elif isinstance(source, (str, os.PathLike)):
            sources[modality] = {'file': add(source)}
        else:
            raise InvalidSampleError(f'sample {sample_id!r}: paths[{modality!r}] is a '
                                     f'{type(source).__name__}; only raster files can be packed')
    pixels = b''.join(arrays)
    fields = {k: v for k, v in item.items() if k != 'paths'}
    try:
        text = json.dumps({'item': json_safe(fields), 'sources': json_safe(sources),
                           CRC32: pixel_checksum(pixels, CRC32)}, allow_nan=False)
    except TypeError as err:
        raise InvalidSampleError(f'sample {sample_id!r}: {err}') from err
    return {'sample': text, 'pixels': pixels}


def _float_or_none(value: Any) -> float | None:
    """A stored nodata value back as float (``'nan'`` → NaN)."""
    return None if value is None else float(value)


def decode_sample(sample: dict, where: str, check_checksum: bool = True) -> dict:
    """The dataset item of one litdata sample; ``where`` names it (chunk file and index);
    ``check_checksum=False`` skips the checksum of the pixel bytes (xxh3-64 or CRC-32, whichever
    the record carries: :mod:`.checksum`).

    Raises:
        ShardCorruptError: naming ``where`` when the metadata, the checksum or an array size
            does not match.
    """
    try:
        meta = json.loads(sample['sample'])
        layout = meta.get('layout', 'files')
        fields, (kind, stored) = meta['item'], record_checksum(meta)
        sources = meta['arrays' if layout == 'compact' else 'sources']
        pixels = memoryview(sample['pixels'])
    except (ValueError, KeyError, TypeError) as err:
        raise ShardCorruptError(f'{where}: not an eossl sample ({err!r})') from err
    problem = checksum_problem(kind, stored, pixels) if check_checksum else None
    if problem:
        raise ShardCorruptError(f'{where}: {problem} (the chunk is corrupt)')
    if layout == 'compact':
        from .compact_codec import decode_compact
        return decode_compact(meta, pixels, where)

    def raster(entry: dict, label: str) -> ArrayRaster:
        """The in-memory raster of one JSON raster entry of this sample."""
        dtype, shape = np.dtype(entry['dtype']), entry['shape']
        count = math.prod(shape)
        if entry['offset'] + count * dtype.itemsize > len(pixels):
            raise ShardCorruptError(f'{where}: {label} needs {count * dtype.itemsize} bytes at '
                                    f'{entry["offset"]}, the sample has {len(pixels)}')
        array = np.frombuffer(pixels, dtype, count, offset=entry['offset']).reshape(shape)
        return ArrayRaster(list(array), f'{where} {label}', descriptions=entry['descriptions'],
                           nodata=[_float_or_none(v) for v in entry['nodata']],
                           crs=entry['crs'], transform=entry['transform'])

    paths: dict[str, object] = {}
    for modality, source in sources.items():
        if 'file' in source:
            paths[modality] = raster(source['file'], modality)
        else:
            paths[modality] = {band: raster(r, f'{modality}/{band}')
                               for band, r in source['bands'].items()}
    return dict(fields, paths=paths, shard=where)
