"""An in-memory raster that :class:`~eossl.datasets.transforms.LoadMultiBandImage` reads exactly
like a GeoTIFF file.

Why: a sample streamed from a shard (:mod:`eossl.datasets.shards`) arrives as arrays, not files.
Putting an :class:`ArrayRaster` where a dataset item normally has a file path
(``results['paths'][modality]``, or a value of its ``{band: path}`` dict) lets the unchanged
loader select bands by name, resample mixed resolutions, mask nodata and crop windows: it only
uses the small part of rasterio's ``DatasetReader`` interface implemented here.
"""
from collections.abc import Sequence

import numpy as np
from affine import Affine
from rasterio.crs import CRS


class ArrayRaster:
    """Bands of one raster held in memory, with the file's band descriptions, nodata and
    georeference.

    Args:
        bands: one ``(H, W)`` array per band, all of one shape and dtype (as in one GeoTIFF).
        name: what messages call this raster (e.g. ``'shards/shard-000003.tar@1024 s2/B04'``),
            the counterpart of a file path.
        descriptions: the file's band descriptions (``None`` where a band has none).
        nodata: the declared nodata value of each band (``None`` = none declared).
        crs: coordinate reference system as rasterio writes it with ``CRS.to_string()``
            (``'EPSG:32633'``, or WKT when it has no EPSG code; ``None`` when the file had none).
        transform: the affine pixel → CRS transform ``(a, b, c, d, e, f)``.

    Raises:
        ValueError: no band, bands of different shapes or dtypes, or per-band lists of the wrong
            length.
    """

    def __init__(self, bands: Sequence[np.ndarray], name: str, *,
                 descriptions: Sequence[str | None] | None = None,
                 nodata: Sequence[float | None] | None = None, crs: str | None = None,
                 transform: Sequence[float] | None = None) -> None:
        if not bands:
            raise ValueError(f'{name}: a raster needs at least one band')
        first = bands[0]
        for band in bands:
            if band.ndim != 2 or band.shape != first.shape or band.dtype != first.dtype:
                raise ValueError(f'{name}: every band must be (H, W) of one shape and dtype, got '
                                 f'{[(b.shape, b.dtype.name) for b in bands]}')
        count = len(bands)
        descriptions = tuple(descriptions) if descriptions is not None else (None,) * count
        nodata = tuple(nodata) if nodata is not None else (None,) * count
        if len(descriptions) != count or len(nodata) != count:
            raise ValueError(f'{name}: {count} bands but {len(descriptions)} descriptions and '
                             f'{len(nodata)} nodata values')
        self.bands = list(bands)
        self.name = name
        self.descriptions = descriptions
        self.nodatavals = nodata
        self.crs_text = crs
        self.transform_coefficients = tuple(transform) if transform is not None else None

    @property
    def count(self) -> int:
        """Number of bands."""
        return len(self.bands)

    @property
    def shape(self) -> tuple[int, int]:
        """``(H, W)`` of every band."""
        return self.bands[0].shape

    @property
    def dtypes(self) -> tuple[str, ...]:
        """Native dtype name of each band (as rasterio reports it)."""
        return tuple(b.dtype.name for b in self.bands)

    @property
    def crs(self) -> CRS | None:
        """The coordinate reference system, parsed from its stored text."""
        return CRS.from_user_input(self.crs_text) if self.crs_text else None

    @property
    def transform(self) -> Affine | None:
        """The pixel → CRS affine transform."""
        return Affine(*self.transform_coefficients) if self.transform_coefficients else None

    def read(self, indexes: Sequence[int] | int | None = None, window=None) -> np.ndarray:
        """Pixels of 1-based band ``indexes`` over ``window``, in the native dtype.

        Args:
            indexes: a list (→ ``(n, h, w)``), one index (→ ``(h, w)``) or None (every band).
            window: a ``rasterio.windows.Window`` (``row_off``, ``col_off``, ``height``,
                ``width``) inside the grid; None reads the whole grid.
        """
        single = isinstance(indexes, int)
        chosen: list[int] = [indexes] if isinstance(indexes, int) else \
            list(indexes or range(1, self.count + 1))
        bad = [i for i in chosen if not 1 <= i <= self.count]
        if bad:
            raise IndexError(f'{self.name}: band index(es) {bad} outside 1..{self.count}')
        height, width = self.shape
        if window is None:
            rows, cols = slice(0, height), slice(0, width)
        else:
            r0, c0 = int(window.row_off), int(window.col_off)
            r1, c1 = r0 + int(window.height), c0 + int(window.width)
            if r0 < 0 or c0 < 0 or r1 > height or c1 > width:
                raise ValueError(f'{self.name}: window {window} is outside the {height}x{width} '
                                 'grid')
            rows, cols = slice(r0, r1), slice(c0, c1)
        out = np.stack([self.bands[i - 1][rows, cols] for i in chosen])
        return out[0] if single else out

    def __enter__(self) -> 'ArrayRaster':
        return self

    def __exit__(self, *exc_info) -> None:
        """Nothing to close: the arrays live as long as the sample."""

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return (f'ArrayRaster({self.name!r}, {self.count} band(s) {self.shape[0]}x{self.shape[1]}'
                f' {self.bands[0].dtype.name})')
