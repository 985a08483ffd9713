"""Raster loading: one modality of a sample → float32 ``(C, H, W)`` on one grid, nodata → NaN."""
import logging
import math
import os
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass

import numpy as np
import rasterio
from mmcv.transforms import BaseTransform
from mmengine.logging import print_log
from rasterio.io import DatasetReader
from rasterio.windows import Window

from eossl.datasets.array_raster import ArrayRaster
from eossl.datasets.bands import (
    canonical_band_order,
    normalize_band_name,
    resolve_band_order,
    resolve_bands,
    valid_range,
)
from eossl.datasets.errors import InvalidSampleError
from eossl.datasets.io_paths import is_local_path
from eossl.datasets.remote_reads import retry_remote
from eossl.registry import TRANSFORMS

from .resampling import RESAMPLE_MODES, kernel_margin, resample

Size = int | Sequence[int]


@dataclass
class _BandRead:
    """Where one requested band lives: file path (or in-memory raster) and 1-based band index
    in that file."""

    name: str
    path: str | ArrayRaster
    index: int
    single_band_file: bool = False


def _as_size(size: Size | None) -> tuple[int, int] | None:
    if size is None:
        return None
    return (int(size), int(size)) if isinstance(size, int) else (int(size[0]), int(size[1]))


def describe_source(source: str | dict) -> str:
    """A file description for messages: the path, or a ``{band: file}``'s first file + count."""
    if isinstance(source, dict):
        files = [str(p) for p in source.values()]
        more = f' (+{len(files) - 1} band files)' if len(files) > 1 else ''
        return f'{files[0]}{more}' if files else '{} (no band files)'
    return str(source)


def _as_source(value: object) -> str | ArrayRaster:
    """A path as ``str``; an :class:`ArrayRaster` (a sample streamed from a shard) as itself."""
    return value if isinstance(value, ArrayRaster) else str(value)


def _open(path: str | ArrayRaster) -> DatasetReader | ArrayRaster:
    """Open a raster, turning a missing or unreadable file into :class:`InvalidSampleError`;
    an in-memory :class:`ArrayRaster` is already open."""
    if isinstance(path, ArrayRaster):
        return path
    # GDAL virtual paths (/vsicurl/, /vsis3/, s3://, /vsizip/...) are left to rasterio
    if is_local_path(path) and not os.path.isfile(path):
        raise InvalidSampleError(f'{path}: file not found (expected a GeoTIFF)')
    try:
        return retry_remote(lambda retry: rasterio.open(path), path)
    except rasterio.errors.RasterioError as err:
        raise InvalidSampleError(
            f'{path}: unreadable raster, expected a valid GeoTIFF ({err})') from err


def _read_window(source: str | DatasetReader | ArrayRaster, indexes: list[int],
                 window: Window) -> np.ndarray:
    """``indexes`` over ``window`` from an open raster, or from ``source`` opened afresh (a
    remote retry, see :func:`~eossl.datasets.remote_reads.retry_remote`)."""
    if not isinstance(source, str):
        return source.read(indexes, window=window)
    with rasterio.open(source) as src:
        return src.read(indexes, window=window)


def _nodata_mask(raw: np.ndarray, nodata: float | None) -> np.ndarray:
    """Boolean mask of ``raw`` pixels equal to ``nodata`` (NaN matches NaN)."""
    if nodata is None:
        return np.zeros(raw.shape, bool)
    if np.isnan(nodata):
        return np.isnan(raw)
    return raw == nodata


@TRANSFORMS.register_module()
class LoadMultiBandImage(BaseTransform):
    """Read ``results['paths'][modality]`` into ``results[out_key]``: float32 ``(C, H, W)``.

    The source is either one multi-band file or a ``{band name: single-band file}`` dict (names
    normalized, so ``'B01'`` keys match ``bands=['B1']``); an in-memory
    :class:`~eossl.datasets.array_raster.ArrayRaster` (a sample streamed from a shard) may stand
    wherever a file path does, and is read the same way. Bands of mixed resolution (10/20/60 m)
    are resampled onto one target grid: ``target_size`` or, by default, the grid of the band with
    the most pixels; resampling is NaN-aware (:mod:`.resampling`).

    Band names of a multi-band file come from ``file_bands`` (a list of names in file order, a
    sensor such as ``'s2_l1c'`` or ``'eurosat:s2_l1c'`` for a source's stored order), else from
    the dataset item's ``results['bands'][modality]``, else from the file's band descriptions;
    with declared names the file must have exactly that many bands. A file without names can
    only be read whole (``bands=None``); its bands are named ``'1'``, ``'2'``, ….

    Args:
        modality: key of ``results['paths']``.
        bands: names to read, in output order (or a band-set name such as ``'s2_l1c'``);
            ``None`` reads every band (a dict's bands in
            canonical Sentinel order, a file's in file order).
        out_key: where the array goes; band names go to ``out_key + '_bands'`` and ``(H, W)`` to
            ``out_key + '_shape'``.
        target_size: output grid ``(H, W)`` or an int for a square.
        resample: ``'nearest'``, ``'bilinear'`` or ``'bicubic'``.
        window: ``(row_off, col_off, height, width)`` in target-grid pixels; each band reads only
            the matching part of its own grid.
        nodata: value marking missing pixels; default the file's declared nodata.
        allow_nan: accept NaN/inf in the raw data (inf becomes NaN); by default they are errors.
        file_bands: band names of a multi-band file (see above).
        band_descriptions: what to do when a file's own band descriptions name bands (of the
            band table) that contradict the declared names (``file_bands`` / the dataset's):
            ``'warn'`` (default: logged once per distinct mismatch, read in the declared order),
            ``'error'`` (the sample is invalid) or ``'ignore'``.
        out_of_range: raw values outside the band table's valid range of their band
            (:func:`eossl.datasets.bands.valid_range`, e.g. a finite 3e38) are read as nodata
            (``'nodata'``, default, logged per file), refused (``'error'``) or kept (``'keep'``).

    Raises:
        InvalidSampleError: naming the file, for a missing or corrupt file, a wrong band count, a
            requested band that is absent, raw NaN/inf, or a patch that is entirely nodata.
    """

    def __init__(self, modality: str = 's2', bands: Sequence[str] | None = None,
                 out_key: str = 'img', target_size: Size | None = None,
                 resample: str = 'bilinear', window: Sequence[int] | None = None,
                 nodata: float | None = None, allow_nan: bool = False,
                 file_bands: str | Sequence[str] | None = None,
                 band_descriptions: str = 'warn', out_of_range: str = 'nodata') -> None:
        if resample not in RESAMPLE_MODES:
            raise ValueError(f'LoadMultiBandImage: resample={resample!r}, expected one of '
                             f'{RESAMPLE_MODES}')
        if window is not None and len(window) != 4:
            raise ValueError('LoadMultiBandImage: window must be (row_off, col_off, height, '
                             f'width), got {window}')
        self.modality = modality
        names = resolve_bands(bands)  # a band-set name or the names
        self.bands = None if names is None else [normalize_band_name(b) for b in names]
        self.out_key = out_key
        self.target_size = _as_size(target_size)
        self.resample = resample
        self.window = None if window is None else tuple(int(v) for v in window)
        self.nodata = nodata
        self.allow_nan = allow_nan
        self.file_bands = None if file_bands is None else resolve_band_order(file_bands)
        for name, value, options in (('band_descriptions', band_descriptions,
                                      ('warn', 'error', 'ignore')),
                                     ('out_of_range', out_of_range, ('nodata', 'error', 'keep'))):
            if value not in options:
                raise ValueError(f'LoadMultiBandImage: {name}={value!r}, expected one of '
                                 f'{options}')
        self.band_descriptions, self.out_of_range = band_descriptions, out_of_range
        self._warned: set[tuple] = set()

    def transform(self, results: dict) -> dict:
        """Load the modality; see the class docstring for the keys written."""
        paths = results.get('paths', {})
        if self.modality not in paths:
            raise InvalidSampleError(f"sample {results.get('sample_id')!r}: no '{self.modality}' "
                                     f'in paths (available: {sorted(paths)})')
        source = paths[self.modality]
        declared = results.get('bands', {}).get(self.modality)
        reads = (self._plan_dict(source) if isinstance(source, dict)
                 else self._plan_file(_as_source(source), declared))
        results[self.out_key] = self._read(reads, describe_source(source))
        results[self.out_key + '_bands'] = tuple(r.name for r in reads)
        results[self.out_key + '_shape'] = results[self.out_key].shape[1:]
        return results

    def _plan_dict(self, source: dict) -> list[_BandRead]:
        """One read per ``{band: file}`` entry asked for; each file must hold one band."""
        files = {normalize_band_name(k): _as_source(v) for k, v in source.items()}
        names = self.bands if self.bands is not None else canonical_band_order(list(files))
        missing = [n for n in names if n not in files]
        if missing:
            raise InvalidSampleError(f'{describe_source(source)}: band(s) {missing} requested for '
                                     f"'{self.modality}' but only {sorted(files)} have files")
        return [_BandRead(n, files[n], 1, single_band_file=True) for n in names]

    def _plan_file(self, path: str | ArrayRaster,
                   declared: Sequence[str] | None) -> list[_BandRead]:
        """Band indexes of one multi-band file, named by ``file_bands``, the dataset's
        ``results['bands']`` or the file's descriptions (in that priority)."""
        with _open(path) as src:
            count, descriptions = src.count, src.descriptions
        file_bands = self.file_bands or (resolve_band_order(declared) if declared else None)
        if file_bands is not None:
            if count != len(file_bands):
                raise InvalidSampleError(f'{path}: expected {len(file_bands)} bands '
                                         f'({", ".join(file_bands)}), found {count}')
            names = list(file_bands)
            self._check_descriptions(path, descriptions, names)
        elif all(descriptions):
            names = [normalize_band_name(d) for d in descriptions]
        elif self.bands is None:
            return [_BandRead(str(i), path, i) for i in range(1, count + 1)]
        else:
            raise InvalidSampleError(f'{path}: has {count} unnamed bands; cannot select '
                                     f'{self.bands} by name, set file_bands to name them')
        wanted = self.bands if self.bands is not None else names
        absent = [b for b in wanted if b not in names]
        if absent:
            raise InvalidSampleError(f'{path}: band(s) {absent} not present; the file has '
                                     f'{count} bands {names}')
        return [_BandRead(b, path, names.index(b) + 1) for b in wanted]

    def _check_descriptions(self, path, descriptions: Sequence[str | None],
                            declared: list[str]) -> None:
        """Compare a file's band descriptions with the declared names (see ``band_descriptions``).

        Only descriptions that are all band-table names count: free text (``'Band 1'``) says
        nothing about the order.
        """
        if self.band_descriptions == 'ignore' or not all(descriptions):
            return
        described = [normalize_band_name(d) for d in descriptions]
        if any(valid_range(d) is None for d in described) or described == declared:
            return
        message = (f'{path}: the file describes its bands as {", ".join(described)}, but they '
                   f'are declared as {", ".join(declared)} (file_bands or the dataset\'s band '
                   'order)')
        if self.band_descriptions == 'error':
            raise InvalidSampleError(f'{message}; fix the declaration or the file')
        if (tuple(described), tuple(declared)) not in self._warned:
            self._warned.add((tuple(described), tuple(declared)))
            print_log(f'{message}; reading them in the declared order (band_descriptions='
                      "'error' refuses such files; this warning is shown once)",
                      logger='current', level=logging.WARNING)

    def _read(self, reads: list[_BandRead], label: str) -> np.ndarray:
        """Read every band onto the target grid and stack them ``(C, H, W)``."""
        by_path: dict[str | ArrayRaster, list[int]] = {}
        for i, r in enumerate(reads):
            by_path.setdefault(r.path, []).append(i)
        with ExitStack() as stack:
            sources = {p: stack.enter_context(_open(p)) for p in by_path}
            for r in reads:
                if r.single_band_file and sources[r.path].count != 1:
                    raise InvalidSampleError(f"{r.path}: expected 1 band (band '{r.name}'), "
                                             f'found {sources[r.path].count}')
            target = self._target_grid({p: src.shape for p, src in sources.items()})  # type: ignore[misc]
            window = self.window or (0, 0, *target)
            if window[0] < 0 or window[1] < 0 or window[0] + window[2] > target[0] or \
                    window[1] + window[3] > target[1]:
                raise InvalidSampleError(f'{label}: window {window} exceeds the target grid '
                                         f'{target}')
            out = np.empty((len(reads), window[2], window[3]), np.float32)
            for path, members in by_path.items():
                indexes = [reads[i].index for i in members]
                names = [reads[i].name for i in members]
                out[members] = self._read_file(sources[path], path, indexes, target, window,
                                               names)
        if np.isnan(out).all():
            raise InvalidSampleError(f'{label}: every pixel of the patch is nodata')
        return out

    def _target_grid(self, shapes: dict[str, tuple[int, int]]) -> tuple[int, int]:
        """The output grid, after checking that every file covers the same extent."""
        largest = max(shapes.values(), key=lambda s: s[0] * s[1])
        for path, (h, w) in shapes.items():
            if not math.isclose(h / largest[0], w / largest[1], rel_tol=0.02):
                raise InvalidSampleError(f'{path}: grid {h}x{w} is not a rescaled copy of the '
                                         f'{largest[0]}x{largest[1]} grid of the other bands')
        return self.target_size or largest

    def _read_file(self, src: DatasetReader | ArrayRaster, path: str | ArrayRaster,
                   indexes: list[int], target: tuple[int, int],
                   window: tuple[int, ...], names: list[str]) -> np.ndarray:
        """Read ``indexes`` of one file over ``window`` (target pixels) → ``(n, h, w)``."""
        height, width = src.shape
        sy, sx = height / target[0], width / target[1]
        top, left, box_h, box_w = window[0] * sy, window[1] * sx, window[2] * sy, window[3] * sx
        my, mx = kernel_margin(sy, self.resample), kernel_margin(sx, self.resample)
        r0, c0 = max(0, math.floor(top) - my), max(0, math.floor(left) - mx)
        r1 = min(height, math.ceil(top + box_h) + my)
        c1 = min(width, math.ceil(left + box_w) + mx)
        try:
            raw = retry_remote(lambda retry: _read_window(path if retry else src, indexes,
                                                          Window(c0, r0, c1 - c0, r1 - r0)),
                               str(path))
        except rasterio.errors.RasterioError as err:
            raise InvalidSampleError(f'{path}: failed to read pixels, expected a valid GeoTIFF '
                                     f'({err})') from err
        data = raw.astype(np.float32)
        for k, index in enumerate(indexes):
            nodata = self.nodata if self.nodata is not None else src.nodatavals[index - 1]
            missing = _nodata_mask(raw[k], nodata)
            if not self.allow_nan and not np.isfinite(data[k][~missing]).all():
                raise InvalidSampleError(f'{path}: band {index} holds NaN/inf values; expected '
                                         'finite data (set nodata, or allow_nan=True)')
            data[k][missing | ~np.isfinite(data[k])] = np.nan
            self._mask_out_of_range(data[k], path, index, names[k])
        return resample(data, (window[2], window[3]), (top - r0, left - c0, box_h, box_w),
                        self.resample)

    def _mask_out_of_range(self, band: np.ndarray, path, index: int, name: str) -> None:
        """Apply ``out_of_range`` to one raw band (in place), before any resampling mixes a
        broken value into its neighbours."""
        limits = valid_range(name) if self.out_of_range != 'keep' else None
        if limits is None:
            return
        outside = (band < limits[0]) | (band > limits[1])
        count = int(outside.sum())
        if not count:
            return
        message = (f'{path}: band {index} ({name}) has {count} pixel(s) outside its valid range '
                   f'[{limits[0]:g}, {limits[1]:g}] (e.g. {band[outside][0]:g})')
        if self.out_of_range == 'error':
            raise InvalidSampleError(f"{message}; out_of_range='error' refuses such files")
        band[outside] = np.nan
        print_log(f"{message}; read as nodata (out_of_range='error' refuses such files)",
                  logger='current', level=logging.WARNING)

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(modality={self.modality!r}, bands={self.bands}, '
                f'out_key={self.out_key!r}, target_size={self.target_size}, '
                f'resample={self.resample!r}, window={self.window})')


@TRANSFORMS.register_module()
class LoadPairedModalities(BaseTransform):
    """Load several co-located modalities onto one grid: ``results['s1']``, ``results['s2']``, ….

    Each modality is read by a :class:`LoadMultiBandImage` with ``out_key`` = the modality name
    (so band names land in ``'s1_bands'``…). A shared grid lets geometric transforms with
    ``keys=('s1', 's2')`` crop both identically.

    Args:
        modalities: ``{modality: LoadMultiBandImage kwargs}``, e.g.
            ``dict(s1=dict(bands=['VV', 'VH']), s2=dict(bands=['B2', 'B3', 'B4']))``.
        target_size: common grid ``(H, W)`` (or int); ``None`` keeps each modality's own largest
            grid, which must then agree.
        window: ``(row_off, col_off, height, width)`` on the common grid, used by every modality
            that does not set its own.
        resample: default resampling mode of every modality.

    Raises:
        InvalidSampleError: naming both files when two modalities end on different grids.
    """

    def __init__(self, modalities: dict[str, dict], target_size: Size | None = None,
                 window: Sequence[int] | None = None, resample: str = 'bilinear') -> None:
        if not modalities:
            raise ValueError('LoadPairedModalities: modalities must name at least one modality')
        self.loaders = {
            name: LoadMultiBandImage(**{'modality': name, 'out_key': name,
                                        'target_size': target_size, 'window': window,
                                        'resample': resample, **cfg})
            for name, cfg in modalities.items()
        }

    def transform(self, results: dict) -> dict:
        """Run every loader, then check that all modalities share one ``(H, W)``."""
        loaders = list(self.loaders.values())
        for loader in loaders:
            results = loader.transform(results)
        first = loaders[0]
        for loader in loaders[1:]:
            grid, first_grid = results[loader.out_key].shape[1:], results[first.out_key].shape[1:]
            if grid != first_grid:
                paths = results['paths']
                raise InvalidSampleError(
                    f"{describe_source(paths[loader.modality])} ('{loader.out_key}', grid {grid}) "
                    f"and {describe_source(paths[first.modality])} ('{first.out_key}', grid "
                    f'{first_grid}) do not share a grid; set target_size to resample them onto one')
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}({list(self.loaders.values())})'
