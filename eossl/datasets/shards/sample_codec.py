"""One dataset item ⇄ the tar members of one shard sample.

A sample with key ``K`` (the dataset index, 9+ digits) is stored as consecutive members:

- ``K.json``: ``{"key", "item": <every item field but paths>, "sources": {modality: source}}``
  where a source is ``{"file": raster}`` (the item's path was one file) or ``{"bands": {band:
  raster}}`` (a ``{band: file}`` dict), and a raster is ``{"member", "dtype", "shape",
  "descriptions", "nodata", "crs" (``EPSG:xxxx`` or WKT), "transform" (a, b, c, d, e, f),
  "path" (the original file)}``;
- ``K.<modality>.npy`` (file) or ``K.<modality>.<band>.npy`` (one per band file): the file's
  pixels ``(C, H, W)`` in its own dtype and on its own grid — nothing is resampled or converted.

Decoding puts an :class:`~eossl.datasets.array_raster.ArrayRaster` where the item had a path, so
``LoadMultiBandImage`` reads the sample exactly as it reads the files.
"""
import io
import json
import math
import os
import re
from collections.abc import Sequence

import numpy as np
import rasterio

from eossl.datasets.array_raster import ArrayRaster
from eossl.datasets.errors import InvalidSampleError

from .tar_io import ShardCorruptError

TOKEN = re.compile(r'^[A-Za-z0-9_-]+$')
Member = tuple[str, bytes]


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


def _float_or_none(value: object) -> float | None:
    """A stored nodata value back as float (``'nan'`` → NaN)."""
    return None if value is None else float(value)


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


def _npy_bytes(pixels: np.ndarray) -> bytes:
    """``pixels`` as the bytes of a ``.npy`` file (its dtype and shape kept)."""
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.ascontiguousarray(pixels), allow_pickle=False)
    return buffer.getvalue()


def _token(value: str, what: str, sample_id: str) -> str:
    """``value`` when it can be part of a tar member name, else InvalidSampleError."""
    if not TOKEN.match(value):
        raise InvalidSampleError(f'sample {sample_id!r}: {what} {value!r} must be letters, digits,'
                                 ' "_" or "-" to name a shard member')
    return value


def encode_sample(key: str, item: dict) -> list[Member]:
    """The members of one dataset item: its JSON, then one ``.npy`` per raster file.

    Raises:
        InvalidSampleError: the item has no ``paths``, a file is unreadable, a modality or band
            name cannot name a member, or a field cannot be stored as JSON.
    """
    sample_id = str(item.get('sample_id', key))
    paths = item.get('paths')
    if not isinstance(paths, dict) or not paths:
        raise InvalidSampleError(f'sample {sample_id!r}: no "paths" to pack (got {paths!r})')
    arrays: list[Member] = []
    sources: dict[str, dict] = {}

    def add(path: object, member: str) -> dict:
        """Read one raster file into ``arrays``; its JSON metadata."""
        pixels, meta = read_raster(str(path))
        arrays.append((member, _npy_bytes(pixels)))
        return dict(member=member, dtype=pixels.dtype.str, shape=list(pixels.shape), **meta)

    for modality, source in paths.items():
        stem = f'{key}.{_token(str(modality), "modality", sample_id)}'
        if isinstance(source, dict):
            sources[modality] = {'bands': {
                band: add(path, f'{stem}.{_token(str(band), "band", sample_id)}.npy')
                for band, path in source.items()}}
        elif isinstance(source, (str, os.PathLike)):
            sources[modality] = {'file': add(source, f'{stem}.npy')}
        else:
            raise InvalidSampleError(f'sample {sample_id!r}: paths[{modality!r}] is a '
                                     f'{type(source).__name__}; only raster files can be packed')
    fields = {k: v for k, v in item.items() if k != 'paths'}
    try:
        meta = json.dumps({'key': key, 'item': json_safe(fields),
                           'sources': json_safe(sources)}, allow_nan=False)
    except TypeError as err:
        raise InvalidSampleError(f'sample {sample_id!r}: {err}') from err
    return [(f'{key}.json', meta.encode('utf-8')), *arrays]


def _npy(payload: memoryview, dtype: str, shape: Sequence[int], where: str) -> np.ndarray:
    """A zero-copy ``(C, H, W)`` array over a ``.npy`` payload whose dtype and shape the
    sample's JSON records (parsing the .npy header dict would cost more than the read)."""
    if len(payload) < 10 or bytes(payload[:6]) != b'\x93NUMPY':
        raise ShardCorruptError(f'{where}: not a .npy array (no .npy magic)')
    length_bytes = 2 if payload[6] == 1 else 4
    header_end = 8 + length_bytes + int.from_bytes(payload[8:8 + length_bytes], 'little')
    dtype, count = np.dtype(dtype), math.prod(shape)
    if len(shape) != 3 or len(payload) - header_end != count * dtype.itemsize:
        raise ShardCorruptError(f'{where}: {len(payload) - header_end} data bytes, expected a '
                                f'(C, H, W) array of shape {tuple(shape)} {dtype}')
    return np.frombuffer(payload, dtype, count, offset=header_end).reshape(shape)


def _raster(meta: dict, payload: memoryview, where: str, name: str) -> ArrayRaster:
    """The :class:`ArrayRaster` of one stored raster (its JSON ``meta`` and ``.npy``)."""
    pixels = _npy(payload, meta['dtype'], meta['shape'], where)
    return ArrayRaster(list(pixels), name, descriptions=meta['descriptions'],
                       nodata=[_float_or_none(v) for v in meta['nodata']], crs=meta['crs'],
                       transform=meta['transform'])


def decode_sample(members: Sequence[tuple[str, memoryview, int]], shard: str,
                  offset: int) -> dict:
    """The dataset item of one sample's members (from :func:`~.tar_io.parse_members`).

    Adds ``shard`` (the file) and ``shard_offset`` (the sample's byte offset) to the item.

    Raises:
        ShardCorruptError: naming the shard and byte offset of the member that does not decode.
    """
    if not members or not members[0][0].endswith('.json'):
        raise ShardCorruptError(f'{shard} byte offset {offset}: a sample must start with its '
                                f'.json member, found {[m[0] for m in members[:3]]}')
    name, payload, at = members[0]
    try:
        meta = json.loads(bytes(payload))
        key, fields, sources = meta['key'], meta['item'], meta['sources']
    except (ValueError, KeyError, TypeError) as err:
        raise ShardCorruptError(f'{shard} byte offset {at}: {name} is not eossl sample metadata '
                                f'({err})') from err
    arrays = {n: (p, a) for n, p, a in members[1:]}
    sample_id = fields.get('sample_id', key)

    def raster(meta: dict, label: str) -> ArrayRaster:
        """The in-memory raster of one JSON raster entry of this sample."""
        if meta['member'] not in arrays:
            raise ShardCorruptError(f'{shard} byte offset {offset}: sample {sample_id!r} lacks '
                                    f'its member {meta["member"]}')
        payload, at = arrays[meta['member']]
        return _raster(meta, payload, f'{shard} byte offset {at} ({meta["member"]})',
                       f'{shard} (sample {sample_id} at byte {offset}) {label}')

    paths: dict[str, object] = {}
    for modality, source in sources.items():
        if 'file' in source:
            paths[modality] = raster(source['file'], modality)
        else:
            paths[modality] = {band: raster(r, f'{modality}/{band}')
                               for band, r in source['bands'].items()}
    return dict(fields, paths=paths, shard=shard, shard_offset=offset)
