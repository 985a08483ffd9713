"""Loading of a compact shard sample: its decoded arrays, in their small dtype or as float32."""
from collections.abc import Mapping, Sequence

from mmcv.transforms import BaseTransform

from eossl.datasets.bands import normalize_band_name, resolve_bands
from eossl.datasets.compact_arrays import decode_array
from eossl.datasets.errors import InvalidSampleError
from eossl.registry import TRANSFORMS


@TRANSFORMS.register_module()
class LoadPackedBands(BaseTransform):
    """Put the arrays of a compact shard sample (``results['packed']``, written by
    ``eossl-pack-shards --layout compact``) where the recipe's loader would have put them.

    The packing ran the recipe's ``LoadMultiBandImage`` (band selection, nodata, mixed
    resolutions resampled onto the recipe's grid), so ``results[key]`` (C, H, W) and
    ``results[key + '_bands']`` / ``key + '_shape'`` are what that loader writes (plus
    ``key + '_complete'``: True when the packing found no missing pixel, so the view crops
    need not look for any) — with
    ``to_float=True`` as float32 with NaN for missing pixels (equal to the file path's output up
    to the compact rounding, :mod:`eossl.datasets.compact_arrays`); with ``to_float=False`` in
    the stored dtype (uint16 reflectance, missing = 65535), for pipelines that hand integers to
    the data preprocessor (``AlignedMultiViews(batch_augment=True)``), which converts them on the
    device.

    Args:
        keys: the packed arrays to load (the packing loaders' ``out_key``).
        bands: band names to keep, in order, or a band-set name (one when one key, else
            ``{key: names}``);
            default all packed bands in packed order.
        to_float: decode to float32 (True) or keep the stored dtype (False).

    Raises:
        InvalidSampleError: the sample is not a compact one, or lacks a key or a band (naming
            the chunk file and the sample).
    """

    def __init__(self, keys: str | Sequence[str] = ('img',),
                 bands: Sequence[str] | Mapping[str, Sequence[str]] | None = None,
                 to_float: bool = True) -> None:
        self.keys = (keys,) if isinstance(keys, str) else tuple(keys)
        if bands is not None and not isinstance(bands, Mapping):
            if len(self.keys) != 1:
                raise ValueError(f'LoadPackedBands: bands for several keys {self.keys} must be '
                                 'a dict {key: names}')
            bands = {self.keys[0]: bands}
        self.bands = {k: tuple(normalize_band_name(b) for b in resolve_bands(v))
                      for k, v in (bands or {}).items()}
        self.to_float = to_float

    def transform(self, results: dict) -> dict:
        """Write ``results[key]``, ``key + '_bands'`` and ``key + '_shape'`` for every key."""
        where = results.get('shard', f"sample {results.get('sample_id')!r}")
        packed = results.get('packed')
        if packed is None:
            raise InvalidSampleError(f'{where}: not a compact shard sample (no "packed" arrays); '
                                     'pack with eossl-pack-shards --layout compact')
        for key in self.keys:
            if key not in packed:
                raise InvalidSampleError(f'{where}: no packed array {key!r} (it holds '
                                         f'{sorted(packed)})')
            array, names = packed[key], tuple(results['packed_bands'][key])
            wanted = self.bands.get(key)
            if wanted is not None and wanted != names:
                absent = [b for b in wanted if b not in names]
                if absent:
                    raise InvalidSampleError(f'{where}: band(s) {absent} of {key!r} were not '
                                             f'packed (packed: {list(names)})')
                array, names = array[[names.index(b) for b in wanted]], wanted
            results[key] = decode_array(array) if self.to_float else array
            results[key + '_bands'] = names
            results[key + '_shape'] = array.shape[1:]
            results[key + '_complete'] = results.get('packed_missing', {}).get(key) == 0
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(keys={self.keys}, bands={self.bands or None}, '
                f'to_float={self.to_float})')
