"""The one table of band metadata and per-source normalization statistics.

Sensors (band order is the canonical order of each product):

- ``s2_l1c``: Sentinel-2 Level-1C, 13 bands ``B1 … B8 B8A B9 B10 B11 B12`` (reflectance ×10000).
- ``s2_l2a``: Sentinel-2 Level-2A, the same 12 bands without the cirrus band ``B10``.
- ``s1_grd``: Sentinel-1 GRD backscatter ``VV VH`` in dB.

Every band carries its native resolution (m), central wavelength (nm) and, for optical bands, its
bandwidth (nm; Sentinel-2A MSI spectral response, ESA). Sentinel-1 is a C-band
radar at 5.405 GHz; its wavelength ``c / f`` ≈ 55.47 mm is stored in nm (≈ 5.55e7) so that one
field covers both sensors, and ``frequency_ghz`` holds the radar frequency (``None`` for optical).

Statistics are stored per source and sensor **keyed by band name**, so a subset or any band order
resolves by name. Names are normalized, so ``'B01'``, ``'b1'`` and ``'B1'`` are the same band and
``'B08A'`` / ``'b8a'`` are ``'B8A'`` (BigEarthNet v1 names files ``<patch>_B01.tif``).
"""
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

SPEED_OF_LIGHT_M_S = 299_792_458.0
S1_FREQUENCY_GHZ = 5.405


class BandLookupError(KeyError):
    """A sensor, source or band name that the table does not know (a ``KeyError``).

    Its message lists the valid choices; unlike a plain ``KeyError`` it prints without quotes.
    """

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ''


@dataclass(frozen=True)
class BandInfo:
    """One band of one sensor.

    Attributes:
        name: canonical band name (``'B8A'``, ``'VV'``).
        resolution_m: native ground sampling distance in metres.
        wavelength_nm: central wavelength in nanometres (radar: ``c / frequency``).
        frequency_ghz: radar centre frequency, ``None`` for optical bands.
        bandwidth_nm: spectral width of an optical band, ``None`` for radar.
    """

    name: str
    resolution_m: float
    wavelength_nm: float
    frequency_ghz: float | None = None
    bandwidth_nm: float | None = None


# (name, resolution m, central wavelength nm, bandwidth nm)
_S2_L1C = (('B1', 60, 442.7, 21), ('B2', 10, 492.4, 66), ('B3', 10, 559.8, 36),
           ('B4', 10, 664.6, 31), ('B5', 20, 704.1, 15), ('B6', 20, 740.5, 15),
           ('B7', 20, 782.8, 20), ('B8', 10, 832.8, 106), ('B8A', 20, 864.7, 21),
           ('B9', 60, 945.1, 20), ('B10', 60, 1373.5, 31), ('B11', 20, 1613.7, 91),
           ('B12', 20, 2202.4, 175))
_S1_WAVELENGTH_NM = SPEED_OF_LIGHT_M_S / (S1_FREQUENCY_GHZ * 1e9) * 1e9

SENSORS: dict[str, tuple[BandInfo, ...]] = {
    's2_l1c': tuple(BandInfo(n, r, w, bandwidth_nm=bw) for n, r, w, bw in _S2_L1C),
    's2_l2a': tuple(BandInfo(n, r, w, bandwidth_nm=bw) for n, r, w, bw in _S2_L1C if n != 'B10'),
    's1_grd': tuple(BandInfo(n, 10, _S1_WAVELENGTH_NM, S1_FREQUENCY_GHZ) for n in ('VV', 'VH')),
}

# Raw values a band can physically hold, in the units the products store (S2: reflectance x 10000
# as uint16, the L2A BOA offset of -1000 allowed; S1: backscatter in dB, or linear power).
# Loaders read values outside as nodata: a finite 3e38 is a broken pixel, not a bright one.
_VALID_RANGES = {'s2': (-2000.0, 65535.0), 's1': (-100.0, 100.0)}


def valid_range(band: str) -> tuple[float, float] | None:
    """``(low, high)`` of the raw values band ``band`` can hold; None for bands not in the table."""
    name = normalize_band_name(band)
    if name in band_names('s2_l1c'):
        return _VALID_RANGES['s2']
    if name in band_names('s1_grd'):
        return _VALID_RANGES['s1']
    return None


_L1C = tuple(b.name for b in SENSORS['s2_l1c'])
_L2A = tuple(b.name for b in SENSORS['s2_l2a'])
_EUROSAT_ORDER = ('B1', 'B2', 'B3', 'B4', 'B5', 'B6', 'B7', 'B8', 'B9', 'B10', 'B11', 'B12',
                  'B8A')

# (band order the numbers were published in, means, stds) — copied from design/BANDS.md.
_PUBLISHED: dict[str, dict[str, tuple[tuple[str, ...], list[float], list[float]]]] = {
    'ssl4eo_s12': {
        's1_grd': (('VV', 'VH'), [-12.54847273, -20.19237134], [5.25697717, 5.91150917]),
        's2_l1c': (_L1C,
                   [1605.57504906, 1390.78157673, 1314.8729939, 1363.52445545, 1549.44374991,
                    2091.74883118, 2371.7172463, 2299.90463006, 2560.29504086, 830.06605044,
                    22.10351321, 2177.07172323, 1524.06546312],
                   [786.78685367, 850.34818441, 875.06484736, 1138.84957046, 1122.17775652,
                    1161.59187054, 1274.39184232, 1248.42891965, 1345.52684884, 577.31607053,
                    51.15431158, 1336.09932639, 1136.53823676]),
        's2_l2a': (_L2A,
                   [752.40087073, 884.29673756, 1144.16202635, 1297.47289228, 1624.90992062,
                    2194.6423161, 2422.21248945, 2517.76053101, 2581.64687018, 2645.51888987,
                    2368.51236873, 1805.06846033],
                   [1108.02887453, 1155.15170768, 1183.6292542, 1368.11351514, 1370.265037,
                    1355.55390699, 1416.51487101, 1474.78900051, 1439.3086061, 1582.28010962,
                    1455.52084939, 1343.48379601]),
    },
    'bigearthnet': {
        's2_l2a': (_L2A,
                   [340.76769064, 429.9430203, 614.21682446, 590.23569706, 950.68368468,
                    1792.46290469, 2075.46795189, 2218.94553375, 2266.46036911, 2246.0605464,
                    1594.42694882, 1009.32729131],
                   [554.81258967, 572.41639287, 582.87945694, 675.88746967, 729.89827633,
                    1096.01480586, 1273.45393088, 1365.45589904, 1356.13789355, 1302.3292881,
                    1079.19066363, 818.86747235]),
        's1_grd': (('VV', 'VH'), [-12.619993741972035, -19.29044597721542],
                   [5.115911777546365, 5.464428464912864]),
    },
    'eurosat': {
        's2_l1c': (_EUROSAT_ORDER,
                   [1354.40546513, 1118.24399958, 1042.92983953, 947.62620298, 1199.47283961,
                    1999.79090914, 2369.22292565, 2296.82608323, 732.08340178, 12.11327804,
                    1819.01027855, 1118.92391149, 2594.14080798],
                   [245.71762908, 333.00778264, 395.09249139, 593.75055589, 566.4170017,
                    861.18399006, 1086.63139075, 1117.98170791, 404.91978886, 4.77584468,
                    1002.58768311, 761.30323499, 1231.58581042]),
    },
}

# named band subsets recipes use besides the sensors' full sets (SENSORS): name → bands in order
BAND_SETS: dict[str, tuple[str, ...]] = {
    's2_rgb': ('B4', 'B3', 'B2'),        # red, green, blue: an RGB checkpoint's input order
    's2_10m': ('B2', 'B3', 'B4', 'B8'),  # the four 10 m bands in product order
}

_BAND_RE = re.compile(r'^B0*(\d{1,2})(A?)$')
_FILE_BAND_RE = re.compile(r'(?:^|[_\-.])(B0?\d{1,2}A?|VV|VH|HH|HV)$', re.IGNORECASE)


def _choices(options: Iterable[str]) -> str:
    return ', '.join(repr(o) for o in options)


def normalize_band_name(name: str) -> str:
    """Canonical spelling of a band name: ``'B01'`` → ``'B1'``, ``'b08a'`` → ``'B8A'``, ``'vv'`` →
    ``'VV'``. Unknown names are returned upper-cased and stripped (a dataset may add its own)."""
    upper = str(name).strip().upper()
    match = _BAND_RE.match(upper)
    if match:
        return f'B{int(match.group(1))}{match.group(2)}'
    return upper


def band_name_from_filename(path: str | Path) -> str:
    """The band encoded at the end of a file stem, normalized: ``'..._B01.tif'`` → ``'B1'``.

    Raises:
        BandLookupError: the stem does not end in a band token (``B..`` or a polarization).
    """
    stem = Path(path).name.split('.')[0]
    match = _FILE_BAND_RE.search(stem)
    if not match:
        raise BandLookupError(f'{path}: cannot read a band name from the file name; expected a '
                              "stem ending in a band such as '_B01', '_B8A' or '_VV'")
    return normalize_band_name(match.group(1))


def _sensor(sensor: str) -> tuple[BandInfo, ...]:
    if sensor not in SENSORS:
        raise BandLookupError(f'unknown sensor {sensor!r}; valid sensors: {_choices(SENSORS)}')
    return SENSORS[sensor]


def band_names(sensor: str) -> tuple[str, ...]:
    """Canonical band names of ``sensor`` in product order, e.g. 12 names for ``'s2_l2a'``."""
    return tuple(b.name for b in _sensor(sensor))


def band_info(sensor: str, band: str) -> BandInfo:
    """Metadata of one band of ``sensor`` (any accepted spelling of the band name)."""
    name = normalize_band_name(band)
    for info in _sensor(sensor):
        if info.name == name:
            return info
    raise BandLookupError(f'sensor {sensor!r} has no band {band!r}; valid bands: '
                          f'{_choices(band_names(sensor))}')


def known_bands() -> dict[str, BandInfo]:
    """Every band of every sensor of the table by canonical name (``'B1'`` … ``'B12'``, ``'VV'``,
    ``'VH'``); a band shared by two products (S2 L1C / L2A) appears once."""
    return {b.name: b for sensor in SENSORS.values() for b in sensor}


def canonical_band_order(names: Iterable[str]) -> list[str]:
    """``names`` normalized and sorted by Sentinel-2 L1C then Sentinel-1 product order.

    Names the table does not know keep their relative order after the known ones; used to order a
    ``{band: file}`` dict whose keys came from a directory listing (where ``B8A`` sorts last).
    """
    rank = {n: i for i, n in enumerate(band_names('s2_l1c') + band_names('s1_grd'))}
    normalized = [normalize_band_name(n) for n in names]
    return sorted(normalized, key=lambda n: (n not in rank, rank.get(n, 0)))


def _published(source: str, sensor: str) -> tuple[tuple[str, ...], list[float], list[float]]:
    if source not in _PUBLISHED:
        raise BandLookupError(f'unknown statistics source {source!r}; valid sources: '
                              f'{_choices(_PUBLISHED)}')
    if sensor not in _PUBLISHED[source]:
        raise BandLookupError(f'source {source!r} has no statistics for sensor {sensor!r}; valid '
                              f'sensors: {_choices(_PUBLISHED[source])}')
    return _PUBLISHED[source][sensor]


def stored_band_order(source: str, sensor: str) -> tuple[str, ...]:
    """The band order of ``source``'s files and published statistics (EuroSAT: ``B8A`` last)."""
    return _published(source, sensor)[0]


def band_stats(source: str, sensor: str,
               bands: Sequence[str] | None = None) -> tuple[list[float], list[float]]:
    """Per-band ``(means, stds)`` of ``source`` for ``bands`` (default: :func:`stored_band_order`).

    Bands are matched by name, so any subset or order works: ``band_stats('bigearthnet',
    's2_l2a', ['B04', 'B03', 'B02'])`` gives the RGB statistics in that order.
    """
    order, means, stds = _published(source, sensor)
    by_name = {name: (m, s) for name, m, s in zip(order, means, stds, strict=True)}
    selected = order if bands is None else [normalize_band_name(b) for b in
                                            resolve_bands(bands) or ()]
    missing = [b for b in selected if b not in by_name]
    if missing:
        raise BandLookupError(f'{source}:{sensor} has no statistics for band(s) {missing}; valid '
                              f'bands: {_choices(order)}')
    return [by_name[b][0] for b in selected], [by_name[b][1] for b in selected]


def split_spec(spec: str) -> tuple[str, str]:
    """``'bigearthnet:s2_l2a'`` → ``('bigearthnet', 's2_l2a')`` with a clear error otherwise."""
    source, sep, sensor = spec.partition(':')
    if not sep or not source or not sensor:
        raise BandLookupError(f'expected "source:sensor" such as "bigearthnet:s2_l2a", got '
                              f'{spec!r}; valid sources: {_choices(_PUBLISHED)}')
    return source, sensor


def resolve_stats(spec: str,
                  bands: Sequence[str] | None = None) -> tuple[list[float], list[float]]:
    """:func:`band_stats` addressed by one config string ``'source:sensor'``."""
    return band_stats(*split_spec(spec), bands=bands)


def resolve_band_order(spec: str | Sequence[str]) -> tuple[str, ...]:
    """Band names a config gives for a file's band order.

    ``spec`` is a list of names, a sensor (``'s2_l1c'`` → product order) or ``'source:sensor'``
    (``'eurosat:s2_l1c'`` → that source's stored order).
    """
    if not isinstance(spec, str):
        return tuple(normalize_band_name(b) for b in spec)
    if ':' in spec:
        return stored_band_order(*split_spec(spec))
    if spec in BAND_SETS:
        return BAND_SETS[spec]
    return band_names(spec)


def resolve_bands(spec: str | Sequence[str] | None) -> tuple[str, ...] | None:
    """The band names a config field ``bands=`` gives: a band set by name (a sensor of the band
    table, ``'s2_l1c'`` → its 13 bands in product order, ``'s2_l2a'`` → the 12 without B10,
    ``'s1_grd'`` → ``('VV', 'VH')``; a subset of :data:`BAND_SETS` such as ``'s2_rgb'``; or a
    stored order ``'source:sensor'``, :func:`resolve_band_order`), or a sequence of names (kept
    as given), or None. Recipes name their band sets; components store the resolved tuple, so
    checkpoints keep the band list itself.

    Raises:
        BandLookupError: an unknown band-set name, naming those there are.
    """
    if spec is None:
        return None
    if isinstance(spec, str):
        return resolve_band_order(spec)
    return tuple(spec)
