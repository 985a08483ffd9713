"""Seeded structured multi-modal EO scenes: data with structure only a working method can find.

Random-pixel fakes test I/O; they cannot tell whether a self-supervised method learns. Here a
scene is a land-cover map (7 classes) rendered into 13-band Sentinel-2 reflectance, Sentinel-1
VV/VH backscatter and MMEarth-style auxiliary targets, all driven by the same map, so that a
feature extractor can recover the classes from any modality — but not trivially:

- Spectra: approximate top-of-atmosphere reflectance of each class at the S2 band centres
  (443 … 2190 nm), from typical spectra of the kind published in the USGS Spectral Library
  (v7) and the ECOSTRESS/ASTER spectral library (clear water, conifer/deciduous canopy, green
  grass, green crops, dry sandy soil, asphalt/concrete/roofing mix, fresh snow), rounded and
  softened (grassland and cropland overlap on purpose; B10 cirrus is near 0 except under haze).
- Per scene: illumination gain (log-normal, σ 0.15), phenology (month + hemisphere scale the
  vegetation's red-edge/NIR by 0.55–1.1 and raise its visible reflectance out of season), haze
  (additive path radiance ∝ λ⁻², up to 0.08 at 443 nm, plus cirrus in B10), and a per-class
  spectral jitter (±6 % per band): a class is never its mean spectrum.
- Layout: one smooth random field per class (Gaussian-filtered noise at a per-scene
  correlation length) plus a per-scene class prior → class map by argmax, so each scene is a
  mixture of a few classes with one usually dominant; per-pixel texture (a finer multiplicative
  field) and sensor noise on top.
- S1: class-typical C-band VV/VH backscatter in dB (water low, urban high; the values follow
  the usual ranges reported for Sentinel-1 IW GRD), a per-scene incidence offset and
  4-look gamma speckle.
- Auxiliary (MMEarth): elevation and slope (snow high, water low, smooth relief), canopy
  height (forest 10–30 m), Dynamic World and ESA WorldCover maps from the class map, biome from
  the latitude and the dominant class, latitude / longitude / month of the scene.

:func:`make_scenes` draws the scenes; :mod:`eossl.testing.structured_layouts` writes them in the
layout of SSL4EO-S12, SEN12MS and MMEarth with the labels a benchmark's probes need.
"""
from dataclasses import dataclass

import numpy as np
from scipy.ndimage import gaussian_filter

CLASSES = ('water', 'forest', 'grassland', 'cropland', 'bare', 'urban', 'snow')
# S2 L1C band order and band centre wavelengths (nm)
S2_BANDS = ('B1', 'B2', 'B3', 'B4', 'B5', 'B6', 'B7', 'B8', 'B8A', 'B9', 'B10', 'B11', 'B12')
WAVELENGTH_NM = np.array([443, 490, 560, 665, 705, 740, 783, 842, 865, 945, 1375, 1610, 2190.])
# class × band reflectance (0..1) at the S2 band centres
SPECTRA = np.array([
    [.080, .070, .060, .040, .035, .030, .025, .020, .020, .012, .002, .010, .005],  # water
    [.040, .040, .060, .030, .080, .200, .260, .290, .300, .280, .004, .150, .070],  # forest
    [.050, .050, .080, .060, .120, .240, .290, .310, .320, .300, .005, .250, .140],  # grassland
    [.060, .060, .090, .075, .140, .250, .290, .320, .330, .310, .006, .270, .170],  # cropland
    [.120, .140, .190, .250, .280, .300, .310, .320, .330, .320, .010, .400, .350],  # bare
    [.100, .110, .130, .150, .160, .170, .180, .190, .190, .180, .008, .220, .200],  # urban
    [.850, .850, .840, .800, .780, .760, .740, .700, .690, .550, .020, .080, .060],  # snow
])
VEGETATION = np.array([0, 1, 1, 1, 0, 0, 0], bool)
# class → mean (VV, VH) backscatter in dB
S1_DB = np.array([[-22., -28.], [-7.5, -13.], [-10., -17.], [-9., -15.5], [-14., -22.],
                  [-3., -10.], [-12., -20.]])
# class → Dynamic World index (water, trees, grass, crops, bare, built, snow and ice)
DYNAMIC_WORLD = np.array([0, 1, 2, 4, 7, 6, 8])
# class → ESA WorldCover code (permanent water, tree cover, grassland, cropland, bare, built-up,
# snow and ice)
WORLDCOVER = np.array([80, 10, 30, 40, 60, 50, 70])
NUM_BIOMES = 14
# dominant class → biome index (one of the 14 RESOLVE biomes: tropical moist, temperate broadleaf,
# temperate grassland, ..., tundra, deserts, ...); latitude bands shift it
_BIOME_OF_CLASS = np.array([13, 3, 7, 7, 12, 3, 10])


@dataclass
class StructuredScene:
    """One scene on the 10 m grid of side ``size``.

    Attributes:
        s2: ``(13, H, W)`` float32 reflectance 0..1 in L1C band order (:data:`S2_BANDS`).
        s1: ``(2, H, W)`` float32 VV, VH backscatter in dB.
        class_map: ``(H, W)`` int64 class index into :data:`CLASSES`.
        elevation: ``(H, W)`` float32 metres; ``slope``: ``(H, W)`` float32 degrees.
        canopy_height: ``(H, W)`` float32 metres.
        lat, lon: degrees; month: 1..12; biome: 0..13.
    """

    s2: np.ndarray
    s1: np.ndarray
    class_map: np.ndarray
    elevation: np.ndarray
    slope: np.ndarray
    canopy_height: np.ndarray
    lat: float
    lon: float
    month: int
    biome: int

    def fractions(self) -> np.ndarray:
        """``(num classes,)`` share of the scene's pixels per class."""
        return np.bincount(self.class_map.ravel(), minlength=len(CLASSES)) / self.class_map.size

    def multi_hot(self, min_fraction: float = 0.05) -> np.ndarray:
        """``(num classes,)`` 0/1: the classes covering at least ``min_fraction`` of the scene."""
        return (self.fractions() >= min_fraction).astype(np.int64)

    @property
    def dominant(self) -> int:
        """The class covering most pixels."""
        return int(self.fractions().argmax())


def _smooth_field(rng: np.random.Generator, shape: tuple[int, ...], sigma: float) -> np.ndarray:
    """Gaussian-filtered white noise over the last two axes, rescaled to unit std."""
    field = gaussian_filter(rng.normal(size=shape), sigma=(0,) * (len(shape) - 2) + (sigma,) * 2,
                            mode='wrap')
    return field / field.std(axis=(-2, -1), keepdims=True).clip(1e-8)


def _class_map(rng: np.random.Generator, size: int, lat: float) -> np.ndarray:
    """``(H, W)`` class map: argmax of per-class smooth fields plus a per-scene class prior."""
    prior = rng.normal(0, 1.0, len(CLASSES))
    prior[rng.integers(len(CLASSES))] += 1.5  # one class usually dominates
    prior[CLASSES.index('snow')] += -2.0 + 3.0 * (abs(lat) > 55)  # snow mostly at high latitude
    fields = _smooth_field(rng, (len(CLASSES), size, size), sigma=size * rng.uniform(.06, .2))
    return (fields + prior[:, None, None]).argmax(0)


def _scene_spectra(rng: np.random.Generator, month: int, lat: float) -> np.ndarray:
    """``(classes, 13)`` this scene's class spectra: jitter, phenology, illumination, haze."""
    spectra = SPECTRA * rng.normal(1.0, 0.06, SPECTRA.shape).clip(.8, 1.2)
    season = np.cos(2 * np.pi * (month - 7) / 12) * (1 if lat >= 0 else -1)  # +1 = summer
    vigour = 0.825 + 0.275 * season  # 0.55 (winter) .. 1.1 (summer)
    red_edge_nir = WAVELENGTH_NM >= 705
    spectra[np.ix_(VEGETATION, red_edge_nir & (WAVELENGTH_NM < 1000))] *= vigour
    spectra[np.ix_(VEGETATION, WAVELENGTH_NM < 700)] *= 1.0 + 0.4 * (1 - vigour)
    spectra *= np.exp(rng.normal(0, 0.15))  # illumination
    haze = rng.uniform(0, 0.08) * (WAVELENGTH_NM / 443.0) ** -2.0
    haze[S2_BANDS.index('B10')] = rng.uniform(0, 0.02)  # cirrus
    return spectra + haze


def _s2(rng: np.random.Generator, class_map: np.ndarray, month: int, lat: float) -> np.ndarray:
    """``(13, H, W)`` reflectance: scene spectra by class × texture + sensor noise."""
    size = class_map.shape[0]
    pixels = _scene_spectra(rng, month, lat)[class_map].transpose(2, 0, 1)
    texture = 1 + 0.08 * _smooth_field(rng, (size, size), sigma=rng.uniform(.7, 2.))
    noise = rng.normal(0, 0.01, pixels.shape)
    return (pixels * texture + noise).clip(1e-4, 1.5).astype(np.float32)


def _s1(rng: np.random.Generator, class_map: np.ndarray) -> np.ndarray:
    """``(2, H, W)`` VV/VH dB: class means + per-scene offset, 4-look gamma speckle."""
    mean_db = S1_DB[class_map].transpose(2, 0, 1) + rng.normal(0, 1.5)
    speckle = rng.gamma(4.0, 1 / 4.0, mean_db.shape)
    return (mean_db + 10 * np.log10(speckle)).astype(np.float32)


def _terrain(rng: np.random.Generator, class_map: np.ndarray) -> tuple:
    """Elevation (m), slope (degrees) and canopy height (m), each ``(H, W)`` float32."""
    size = class_map.shape[0]
    base = rng.uniform(0, 800)
    relief = 150 * _smooth_field(rng, (size, size), sigma=size / 5)
    by_class = np.array([-60., 100, 0, -20, 50, 0, 900])[class_map]
    elevation = (base + relief + gaussian_filter(by_class, size / 20)).clip(0, 6000)
    dy, dx = np.gradient(elevation, 10.0)
    slope = np.degrees(np.arctan(np.hypot(dx, dy)))
    canopy = np.where(class_map == CLASSES.index('forest'),
                      rng.uniform(10, 30) + 3 * rng.normal(size=class_map.shape), 0.0)
    return (elevation.astype(np.float32), slope.astype(np.float32),
            canopy.clip(0, 60).astype(np.float32))


def make_scene(rng: np.random.Generator, size: int) -> StructuredScene:
    """Draw one scene of side ``size`` (10 m pixels) from ``rng``."""
    lat, lon = float(rng.uniform(-60, 72)), float(rng.uniform(-180, 180))
    month = int(rng.integers(1, 13))
    class_map = _class_map(rng, size, lat)
    elevation, slope, canopy = _terrain(rng, class_map)
    scene = StructuredScene(_s2(rng, class_map, month, lat), _s1(rng, class_map), class_map,
                            elevation, slope, canopy, lat, lon, month, biome=0)
    biome = _BIOME_OF_CLASS[scene.dominant] + (abs(lat) > 60) * 2 - (abs(lat) < 20) * 3
    scene.biome = int(np.clip(biome, 0, NUM_BIOMES - 1))
    return scene


def make_scenes(num_scenes: int, size: int = 64, seed: int = 0) -> list[StructuredScene]:
    """``num_scenes`` scenes of side ``size``, the same for the same ``seed``."""
    if num_scenes < 1 or size < 8:
        raise ValueError(f'make_scenes: need num_scenes >= 1 and size >= 8, got {num_scenes}, '
                         f'{size}')
    rng = np.random.default_rng(seed)
    return [make_scene(rng, size) for _ in range(num_scenes)]


def band_mean_features(scenes: list[StructuredScene]) -> np.ndarray:
    """``(N, 15)`` per-band scene mean of S2 (13) and S1 (2): the mean-spectrum baseline."""
    return np.stack([np.concatenate([s.s2.mean((1, 2)), s.s1.mean((1, 2))]) for s in scenes])
