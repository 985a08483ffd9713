"""Read one MMEarth sample (every requested modality) from its h5 file."""
import os
from collections.abc import Mapping, Sequence

import numpy as np
from mmcv.transforms import BaseTransform

from eossl.registry import TRANSFORMS

from ..bands import band_names, normalize_band_name
from ..mmearth_layout import MODALITIES, WORLDCOVER_CODES, MMEarthModality

# the 12 S2 bands MP-MAE encodes (B10 dropped), in L1C product order: B8 before B8A
DEFAULT_S2_BANDS = tuple(b for b in band_names('s2_l1c') if b != 'B10')
_WORLDCOVER_LUT = np.full(256, -1, dtype=np.int64)
_WORLDCOVER_LUT[list(WORLDCOVER_CODES)] = np.arange(len(WORLDCOVER_CODES))


def open_h5(path: str):
    """``h5py.File(path, 'r')`` with a clear message when the optional h5py is missing."""
    try:
        import h5py
    except ImportError as err:
        raise ImportError('reading MMEarth needs h5py: pip install h5py (or eossl[optional])') \
            from err
    return h5py.File(path, 'r')


def decode_labels(raw: np.ndarray, modality: MMEarthModality) -> np.ndarray:
    """Stored land-cover codes → int64 class indices, −1 where invalid.

    Dynamic World stores ``label + 1`` with 0 = nodata; ESA WorldCover stores codes 10..100 with
    255 (or anything else) = nodata.
    """
    if modality.kind == 'dynamic_world':
        labels = raw.astype(np.int64) - 1
        return np.where((labels >= 0) & (labels < 9), labels, -1)
    return _WORLDCOVER_LUT[np.clip(raw.astype(np.int64), 0, 255)]


def decode_onehot(raw: np.ndarray, strict: bool = False) -> np.ndarray:
    """A one-hot vector ``(n,)`` → its class index as a 0-d int64 array.

    Official MMEarth (``torch.argmax`` in ``models/fcmae.py``): the index of the first maximum,
    so an all-zero vector counts as class 0. ``strict=True`` (eossl option): −1 (ignored by the
    loss) unless the vector is exactly one-hot.
    """
    if not strict:
        return np.array(np.argmax(raw), dtype=np.int64)
    ones = np.flatnonzero(raw == 1)
    valid = ones.size == 1 and np.count_nonzero(raw) == 1
    return np.array(ones[0] if valid else -1, dtype=np.int64)


@TRANSFORMS.register_module()
class LoadMMEarthSample(BaseTransform):
    """Load, decode and z-score the MMEarth modalities of one sample.

    Reads ``results['paths']['mmearth']`` (the h5 file) and ``results['h5_index']`` — or the
    row's arrays under ``results['packed']`` (a compact shard sample) —
    ``results['s2_type']`` (``'l1c'``/``'l2a'``, picks the S2 statistics) and
    ``results['band_stats']`` (the parsed band-stats JSON), as :class:`MMEarth` provides them.
    Writes ``results[modality]``:

    - continuous pixel modalities: float32 ``(C, H, W)``, per-band z-score, nodata and
      non-finite values → NaN (the data preprocessor zeroes NaN in the encoder input; losses
      skip NaN targets). A band whose statistics are unusable (std ≤ 0 or NaN) is all NaN.
    - ``dynamic_world`` / ``esa_worldcover``: int64 ``(1, H, W)`` class indices, −1 = invalid.
    - continuous vectors (``lat``, ``lon``, ``month``, ``era5``): float32 ``(n,)``, z-scored.
    - ``biome`` / ``eco_region``: int64 0-d class index (argmax of the one-hot).

    plus ``results[modality + '_bands']`` for banded modalities and ``results['img_shape']``.
    The h5 handle is opened on first use in each process and never pickled, so DataLoader
    workers (fork or spawn) each read through their own handle.

    Args:
        modalities: names, or ``{name: band names or None}``; bands are selected by name in the
            given order (``sentinel2`` default: 12 bands without B10 in L1C order, i.e. B8 is
            moved before B8A; other modalities default to all stored bands).
        normalize: z-score continuous modalities (False: raw values, nodata still NaN).
        strict_onehot: ``biome`` / ``eco_region`` vectors that are not exactly one-hot become
            −1 (ignored) instead of the official argmax (all-zero = class 0); see
            :func:`decode_onehot`.
    """

    def __init__(self, modalities: Sequence[str] | Mapping[str, Sequence[str] | None] = (
            'sentinel2',), normalize: bool = True, strict_onehot: bool = False) -> None:
        requested = modalities if isinstance(modalities, Mapping) else dict.fromkeys(modalities)
        unknown = [m for m in requested if m not in MODALITIES]
        if unknown or not requested:
            raise ValueError(f'LoadMMEarthSample: unknown modalities {unknown}; valid: '
                             f'{list(MODALITIES)}')
        self.band_index: dict[str, list[int]] = {}
        self.bands: dict[str, tuple[str, ...]] = {}
        for name, bands in requested.items():
            stored = MODALITIES[name].bands
            if not stored:
                continue
            if bands is None:
                bands = DEFAULT_S2_BANDS if name == 'sentinel2' else stored
            norm = normalize_band_name if name == 'sentinel2' else str
            chosen = tuple(norm(b) for b in bands)
            missing = [b for b in chosen if b not in stored]
            if missing:
                raise ValueError(f'LoadMMEarthSample: {name} has no band(s) {missing}; stored '
                                 f'bands: {list(stored)}')
            self.bands[name], self.band_index[name] = chosen, [stored.index(b) for b in chosen]
        self.modalities, self.normalize = tuple(requested), normalize
        self.strict_onehot = strict_onehot
        self._handles: dict[str, object] = {}
        self._pid: int | None = None

    def __getstate__(self) -> dict:
        """Pickle without open h5 handles (they cannot cross processes)."""
        return dict(self.__dict__, _handles={}, _pid=None)

    def _h5(self, path: str):
        if self._pid != os.getpid():
            # handles inherited through fork are not safe to share; each process opens its own
            self._handles, self._pid = {}, os.getpid()
        if path not in self._handles:
            self._handles[path] = open_h5(path)
        return self._handles[path]

    def _stats(self, name: str, results: dict) -> tuple[np.ndarray, np.ndarray]:
        key = MODALITIES[name].stats_key
        if name == 'sentinel2':
            key = f"sentinel2_{results['s2_type']}"
        stats = results['band_stats']
        if key not in stats or not {'mean', 'std'} <= set(stats[key]):
            raise KeyError(f'MMEarth band statistics have no mean/std for "{key}" (keys: '
                           f'{sorted(stats)}); expected the official _band_stats.json layout')
        idx = self.band_index[name]
        mean = np.asarray(stats[key]['mean'], dtype=np.float64)[idx]
        std = np.asarray(stats[key]['std'], dtype=np.float64)[idx]
        return mean, np.where(std > 0, std, np.nan)

    def _continuous(self, raw: np.ndarray, name: str, results: dict) -> np.ndarray:
        modality = MODALITIES[name]
        selected = raw[self.band_index[name]]
        values = selected.astype(np.float64)
        # integers are always finite; in-place arithmetic and NaN set after the z-score give
        # the same values as the out-of-place form with fewer passes over the tile
        invalid = (~np.isfinite(values) if selected.dtype.kind == 'f'
                   else np.zeros(values.shape, bool))
        if modality.nodata is not None:
            invalid |= selected == np.array(modality.nodata).astype(raw.dtype)
        if self.normalize:
            mean, std = self._stats(name, results)
            shape = (-1,) + (1,) * (values.ndim - 1)
            values -= mean.reshape(shape)
            values /= std.reshape(shape)
        values[invalid] = np.nan
        return values.astype(np.float32)

    def read_raw(self, results: dict) -> dict[str, np.ndarray]:
        """The stored row of every requested modality, from ``results['packed']`` (a sample
        of a compact shard, :mod:`eossl.datasets.shards.compact_codec`) or else the h5 file."""
        packed = results.get('packed')
        if packed is not None:
            missing = [n for n in self.modalities if n not in packed]
            if missing:
                raise KeyError(f"{results.get('shard')}: the packed sample has no {missing} "
                               f'(it holds {sorted(packed)}); pack it with these modalities')
            return {name: packed[name] for name in self.modalities}
        path, index = results['paths']['mmearth'], int(results['h5_index'])
        h5 = self._h5(path)
        missing = [n for n in self.modalities if n not in h5]
        if missing:
            raise KeyError(f'{path}: no dataset(s) {missing} (datasets: {sorted(h5)})')
        return {name: np.asarray(h5[name][index]) for name in self.modalities}

    def transform(self, results: dict) -> dict:
        """Add every requested modality (see the class docstring) to ``results``."""
        path = results.get('shard') or results['paths']['mmearth']
        for name, raw in self.read_raw(results).items():
            modality = MODALITIES[name]
            if modality.bands and raw.shape[0] != len(modality.bands):
                raise ValueError(f'{path}: "{name}" has {raw.shape[0]} bands per sample, the '
                                 f'MMEarth layout has {len(modality.bands)} {modality.bands}')
            if modality.kind == 'continuous':
                results[name] = self._continuous(raw, name, results)
            elif modality.kind == 'onehot':
                results[name] = decode_onehot(raw, self.strict_onehot)
            else:
                results[name] = decode_labels(raw, modality)
            if name in self.bands:
                results[name + '_bands'] = self.bands[name]
            if modality.pixel:
                results['img_shape'] = raw.shape[-2:]
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(modalities={self.modalities}, normalize={self.normalize})'
