"""The MMEarth h5 layout: modality names, stored band orders, dtypes and nodata values.

One file ``data_<name>.h5`` holds one dataset per modality, indexed by sample first:
pixel modalities are ``(N, bands, H, W)``, image-level ones ``(N, n)``, and ``metadata`` is a
compound ``(tile_id S100, S2_type S10)`` array (older files: ``tile_id`` only). Beside it live
``data_<name>_band_stats.json`` (``{key: {mean, std, min, max}}`` per stored band; S2 under
``sentinel2_l1c`` / ``sentinel2_l2a``), ``data_<name>_splits.json`` (``{split: [indices]}``) and
``data_<name>_tile_info.json`` (``{tile_id: {S2_type, lat, lon, ...}}``).

Facts from the official MMEarth-data ``convert_to_h5.py`` / ``normalization.py`` and
MMEarth-train ``MODALITIES.py``; the names are the official ones so configs and checkpoints
match theirs.
"""
from dataclasses import dataclass

# MMEarth stores B8A *before* B8 (not the L1C product order).
S2_STORED_BANDS = ('B1', 'B2', 'B3', 'B4', 'B5', 'B6', 'B7', 'B8A', 'B8', 'B9', 'B10', 'B11',
                   'B12')
DYNAMIC_WORLD_CLASSES = 9
# ESA WorldCover class codes; their position is the class index 0..10
WORLDCOVER_CODES = (10, 20, 30, 40, 50, 60, 70, 80, 90, 95, 100)


@dataclass(frozen=True)
class MMEarthModality:
    """How one h5 dataset is stored and decoded.

    Attributes:
        kind: ``'continuous'`` (z-scored floats, nodata → NaN), ``'dynamic_world'`` (label+1,
            0 = nodata), ``'worldcover'`` (class codes), or ``'onehot'`` (image-level classes).
        pixel: ``(N, bands, H, W)`` when True, ``(N, n)`` otherwise.
        bands: stored band names in order (empty for one-hot vectors).
        nodata: stored nodata value (in the dataset's dtype) besides non-finite values.
        stats_key: key in the band-stats JSON (``None``: not normalized).
    """

    kind: str
    pixel: bool
    bands: tuple[str, ...] = ()
    nodata: float | None = None
    stats_key: str | None = None


ERA5_BANDS = tuple(f'{period}_{var}' for period in ('prev_month', 'curr_month', 'year')
                   for var in ('avg_temp', 'min_temp', 'max_temp', 'total_precip'))
S1_BANDS = tuple(f'{orbit}_{pol}' for orbit in ('asc', 'desc') for pol in ('VV', 'VH', 'HH', 'HV'))

MODALITIES: dict[str, MMEarthModality] = {
    'sentinel2': MMEarthModality('continuous', True, S2_STORED_BANDS, 0, 'sentinel2'),
    'sentinel1': MMEarthModality('continuous', True, S1_BANDS, None, 'sentinel1'),
    'aster': MMEarthModality('continuous', True, ('elevation', 'slope'), None, 'aster'),
    'canopy_height_eth': MMEarthModality('continuous', True, ('height', 'std'), 255,
                                         'canopy_height_eth'),
    'dynamic_world': MMEarthModality('dynamic_world', True, ('landcover',), 0),
    'esa_worldcover': MMEarthModality('worldcover', True, ('map',), 255),
    'era5': MMEarthModality('continuous', False, ERA5_BANDS, None, 'era5'),
    'lat': MMEarthModality('continuous', False, ('sin', 'cos'), None, 'lat'),
    'lon': MMEarthModality('continuous', False, ('sin', 'cos'), None, 'lon'),
    'month': MMEarthModality('continuous', False, ('sin_month', 'cos_month'), None, 'month'),
    'biome': MMEarthModality('onehot', False),
    'eco_region': MMEarthModality('onehot', False),
}
PIXEL_MODALITIES = tuple(name for name, m in MODALITIES.items() if m.pixel)
