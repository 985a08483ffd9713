"""The compact layout: one dataset item, decoded once at packing, ⇄ one litdata sample.

``eossl-pack-shards --layout compact`` runs the recipe's loading transforms on each item when it
packs (``LoadMultiBandImage`` / ``LoadPairedModalities``: band selection, nodata → NaN, mixed
resolutions resampled onto the recipe's grid with the loader's own NaN-aware method, e.g.
bilinear 20 / 60 m → 264 px) and stores what they produce, so a DataLoader worker reads one
blob instead of opening 13 files and resampling. MMEarth rows (``LoadMMEarthSample``) are stored
raw, every requested modality of the row — the MP-MAE input and all its pretext targets — in the
same record; the unchanged loader then decodes and z-scores them as it does from the h5 file.

A sample is ``{'sample': JSON text, 'pixels': bytes}`` (the schema of the file layout, so both
are ordinary litdata chunks):

- ``sample``: ``{"layout": "compact", "item": <item fields but paths and the shared ones>,
  "arrays": {key: {"offset", "dtype", "shape", "bands", "missing"}}, "xxh3_64": <of pixels>}``
  (``missing``: pixels missing in some band, so a reader can skip validity checks when 0;
  ``xxh3_64``: the checksum checked when read, 16 hex digits; compact records packed before
  it carry ``crc32`` instead and are checked with that: :mod:`.checksum`);
- ``pixels``: each array ``(C, H, W)`` (image-level vectors ``(n,)``) contiguous in its compact
  dtype (:mod:`eossl.datasets.compact_arrays`: uint16 reflectance, int16 elevation, uint8
  classes, float16 backscatter; missing pixels as the dtype's extreme value).

Fields every item shares (``SHARED_FIELDS``, e.g. MMEarth's ``band_stats``) are stored once in
``index.json`` and put back into each decoded item.
"""
import json
import math
from collections.abc import Sequence

import numpy as np
import rasterio

from eossl.datasets.compact_arrays import compact_dtype, encode_array, valid_mask
from eossl.datasets.errors import InvalidSampleError
from eossl.registry import TRANSFORMS

from .checksum import XXH3, pixel_checksum
from .sample_codec import ShardCorruptError, json_safe

LOADERS = ('LoadMultiBandImage', 'LoadPairedModalities', 'LoadMMEarthSample')
SHARED_FIELDS = ('band_stats',)


def loading_steps(pipeline: Sequence[dict]) -> list[dict]:
    """The leading loading transforms of a recipe pipeline (what the compact layout runs at
    packing time).

    Raises:
        ValueError: the pipeline does not start with one of ``LOADERS``.
    """
    steps = []
    for step in pipeline:
        if str(step.get('type', '')).split('.')[-1] not in LOADERS:
            break
        steps.append(dict(step))
    if not steps:
        raise ValueError(f'compact layout: the pipeline must start with one of {LOADERS} '
                         f'(it is run when packing), got {[s.get("type") for s in pipeline]}')
    return steps


def _first_path(source: object) -> str:
    """The first raster file of a ``paths`` entry (a file or a ``{band: file}`` dict)."""
    return str(next(iter(source.values())) if isinstance(source, dict) else source)


class CompactEncoder:
    """Encodes dataset items in the compact layout with the recipe's loading transforms.

    Args:
        loaders: configs of the leading loading transforms (:func:`loading_steps`).
    """

    layout = 'compact'

    def __init__(self, loaders: Sequence[dict]) -> None:
        self.configs = [dict(cfg) for cfg in loaders]
        self.loaders = [TRANSFORMS.build(dict(cfg)) for cfg in self.configs]
        self._dtypes: dict[str, np.dtype] = {}

    def _source_dtype(self, item: dict, modality: str) -> np.dtype:
        """The dtype of a modality's raster files (read once per modality)."""
        if modality not in self._dtypes:
            with rasterio.open(_first_path(item['paths'][modality])) as src:
                self._dtypes[modality] = np.dtype(src.dtypes[0])
        return self._dtypes[modality]

    def _load(self, item: dict) -> dict[str, tuple[np.ndarray, list[str]]]:
        """``{key: (compact array, band names)}`` of one item (MMEarth rows: no names)."""
        results = dict(item)
        arrays: dict[str, tuple[np.ndarray, list[str]]] = {}
        for loader in self.loaders:
            if type(loader).__name__ == 'LoadMMEarthSample':
                for name, raw in loader.read_raw(results).items():
                    dtype = compact_dtype(raw.dtype) if raw.ndim == 3 else raw.dtype
                    array = raw.astype(dtype) if raw.dtype != dtype else raw
                    arrays[name] = (np.ascontiguousarray(array), [])
                continue
            results = loader(results)
            sub = getattr(loader, 'loaders', {'': loader}).values()
            for part in sub:
                dtype = compact_dtype(self._source_dtype(item, part.modality))
                arrays[part.out_key] = (encode_array(results[part.out_key], dtype),
                                        list(results[part.out_key + '_bands']))
        return arrays

    def __call__(self, item: dict) -> dict:
        """The litdata sample of ``item`` (see the module docstring).

        Raises:
            InvalidSampleError: a file is unreadable or a loader refuses the sample (naming it).
        """
        sample_id = str(item.get('sample_id', '?'))
        try:
            arrays = self._load(item)
        except (OSError, rasterio.errors.RasterioError) as err:
            raise InvalidSampleError(f'sample {sample_id!r}: cannot read it to pack it '
                                     f'({err})') from err
        entries, blobs, offset = {}, [], 0
        for key, (array, bands) in arrays.items():
            missing = int((~valid_mask(array)).any(axis=0).sum()) if array.ndim == 3 else None
            entries[key] = dict(offset=offset, dtype=array.dtype.str, shape=list(array.shape),
                                bands=bands, missing=missing)
            blobs.append(array.tobytes())
            offset += len(blobs[-1])
        pixels = b''.join(blobs)
        fields = {k: v for k, v in item.items() if k != 'paths' and k not in SHARED_FIELDS}
        try:
            text = json.dumps({'layout': 'compact', 'item': json_safe(fields),
                               'arrays': entries, XXH3: pixel_checksum(pixels, XXH3)},
                              allow_nan=False)
        except TypeError as err:
            raise InvalidSampleError(f'sample {sample_id!r}: {err}') from err
        return {'sample': text, 'pixels': pixels}


def decode_compact(meta: dict, pixels: memoryview, where: str) -> dict:
    """The item of a compact sample: its fields plus ``packed`` ``{key: array}`` (read-only
    views of the chunk's bytes), ``packed_bands`` ``{key: band names}`` and ``packed_missing``
    ``{key: pixels missing in some band}`` (None: not recorded).

    Raises:
        ShardCorruptError: naming ``where`` when an array does not fit the pixel bytes.
    """
    packed, bands, missing = {}, {}, {}
    for key, entry in meta['arrays'].items():
        dtype, shape = np.dtype(entry['dtype']), entry['shape']
        count = math.prod(shape)
        if entry['offset'] + count * dtype.itemsize > len(pixels):
            raise ShardCorruptError(f'{where}: {key} needs {count * dtype.itemsize} bytes at '
                                    f'{entry["offset"]}, the sample has {len(pixels)}')
        packed[key] = np.frombuffer(pixels, dtype, count, offset=entry['offset']).reshape(shape)
        bands[key], missing[key] = tuple(entry['bands']), entry.get('missing')
    return dict(meta['item'], packed=packed, packed_bands=bands, packed_missing=missing,
                shard=where)
