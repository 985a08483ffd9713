"""Band-safe photometric augmentations and value scaling of multi-band ``(C, H, W)`` arrays.

Nothing here assumes RGB: jitter acts on each band relative to its own mean, there is no
hue/saturation, and grayscale is an equal-weight mean over all bands. Every transform keeps NaN
(nodata) as NaN and never lets it spread into valid pixels. Per-band random draws are made for the
largest band count among ``keys``; a key with ``C`` bands uses the first ``C`` draws, so keys with
the same band list receive identical parameters.
"""
from abc import abstractmethod
from collections.abc import Sequence

import numpy as np
from mmcv.transforms.utils import cache_randomness
from scipy.ndimage import gaussian_filter

from eossl.registry import TRANSFORMS

from .keyed import MultiKeyTransform


def band_means(array: np.ndarray) -> np.ndarray:
    """Mean of each band over valid (non-NaN) pixels, shape ``(C, 1, 1)``; 0 for all-NaN bands."""
    means = array.mean(axis=(1, 2), keepdims=True, dtype=np.float32)
    if not np.isnan(means).any():  # no NaN anywhere: the plain mean (one pass)
        return means
    valid = ~np.isnan(array)
    total = np.where(valid, array, 0).sum(axis=(1, 2), keepdims=True)
    count = valid.sum(axis=(1, 2), keepdims=True)
    return (total / np.maximum(count, 1)).astype(np.float32)


def _check_prob(name: str, prob: float) -> float:
    if not 0 <= prob <= 1:
        raise ValueError(f'{name}: prob must be in [0, 1], got {prob}')
    return prob


class _RandomBandTransform(MultiKeyTransform):
    """Shared flow: with ``prob``, draw parameters for ``max C`` bands, apply them to each key."""

    def __init__(self, prob: float, keys: str | Sequence[str]) -> None:
        super().__init__(keys)
        self.prob = _check_prob(type(self).__name__, prob)

    @cache_randomness
    def params(self, num_bands: int) -> dict | None:
        """Random parameters for this call, or ``None`` when the transform is skipped."""
        return self.draw_params(num_bands)

    def draw_params(self, num_bands: int) -> dict | None:
        """:meth:`params` without mmcv's cache (the per-call copy it makes is ~40 % of a
        batch-wise PerA sample's draw time): the same draws from ``np.random``."""
        return self.draw(num_bands) if np.random.rand() < self.prob else None

    def draw(self, num_bands: int) -> dict:
        """Parameters for ``num_bands`` bands; none by default (e.g. grayscale)."""
        return {}

    @abstractmethod
    def apply(self, array: np.ndarray, params: dict, scale: float) -> np.ndarray:
        """Apply ``params`` to one ``(C, H, W)`` array; ``scale`` = its H / reference H."""

    def transform(self, results: dict) -> dict:
        """One draw, applied to every key."""
        arrays = self.arrays(results)
        params = self.params(max(a.shape[0] for a in arrays.values()))
        if params is not None:
            reference_height = self.reference_shape(arrays)[0]
            for key, array in arrays.items():
                scale = array.shape[1] / reference_height
                self.store(results, key, self.apply(array, params, scale).astype(np.float32,
                                                                               copy=False))
        return results

    def extra_repr(self) -> str:
        return f'prob={self.prob}'


@TRANSFORMS.register_module()
class RandomBandBrightnessContrast(_RandomBandTransform):
    """Per-band jitter around each band's mean: ``x' = b·μ + a·(x − μ)``.

    ``b ~ U(1 − brightness, 1 + brightness)`` moves the band's level (an additive shift of
    ``(b − 1)·μ``) and ``a ~ U(1 − contrast, 1 + contrast)`` scales its deviations; ``μ`` is the
    band's valid-pixel mean. Works for reflectance and dB alike because it is relative to ``μ``.

    Args:
        brightness: half-width of the brightness factor range.
        contrast: half-width of the contrast factor range.
        prob: probability of applying the jitter.
        per_band: one factor pair per band; ``False`` shares one pair over all bands.
        keys: arrays jittered together.
    """

    def __init__(self, brightness: float = 0.4, contrast: float = 0.4, prob: float = 0.8,
                 per_band: bool = True, keys: str | Sequence[str] = ('img',)) -> None:
        super().__init__(prob, keys)
        if not (0 <= brightness < 1 and 0 <= contrast < 1):
            raise ValueError('RandomBandBrightnessContrast: brightness and contrast must be in '
                             f'[0, 1), got {brightness}, {contrast}')
        self.brightness, self.contrast, self.per_band = brightness, contrast, per_band

    def draw(self, num_bands: int) -> dict:
        """Brightness and contrast factors, ``(num_bands,)`` each."""
        n = num_bands if self.per_band else 1
        b = np.random.uniform(1 - self.brightness, 1 + self.brightness, n)
        a = np.random.uniform(1 - self.contrast, 1 + self.contrast, n)
        if n != num_bands:  # one pair shared by all bands
            b, a = np.full(num_bands, b[0]), np.full(num_bands, a[0])
        return dict(brightness=b, contrast=a)

    def apply(self, array: np.ndarray, params: dict, scale: float) -> np.ndarray:
        """``b·μ + a·(x − μ)`` with the first ``C`` factors."""
        c = array.shape[0]
        mean = band_means(array)
        b = params['brightness'][:c, None, None].astype(np.float32)
        a = params['contrast'][:c, None, None].astype(np.float32)
        return array * a + (b - a) * mean  # = b·μ + a·(x − μ), one float32 pass

    def extra_repr(self) -> str:
        return (f'brightness={self.brightness}, contrast={self.contrast}, '
                f'per_band={self.per_band}, {super().extra_repr()}')


@TRANSFORMS.register_module()
class RandomGaussianBlur(_RandomBandTransform):
    """Gaussian blur of every band with ``σ ~ U(sigma)`` (pixels of the reference key).

    NaN-aware: values and the valid mask are blurred alike and divided, so nodata neither
    spreads nor darkens its neighbours; pixels that were NaN stay NaN. Other keys use ``σ``
    scaled by their size so the blur covers the same ground distance.
    """

    def __init__(self, sigma: Sequence[float] = (0.1, 2.0), prob: float = 0.5,
                 keys: str | Sequence[str] = ('img',)) -> None:
        super().__init__(prob, keys)
        if not 0 < sigma[0] <= sigma[1]:
            raise ValueError(f'RandomGaussianBlur: need 0 < sigma[0] <= sigma[1], got {sigma}')
        self.sigma = tuple(sigma)

    def draw(self, num_bands: int) -> dict:
        """One ``sigma`` for all bands."""
        return dict(sigma=float(np.random.uniform(self.sigma[0], self.sigma[1])))

    def apply(self, array: np.ndarray, params: dict, scale: float) -> np.ndarray:
        """Normalized-convolution blur over H and W with ``σ·scale``."""
        sigma = (0, params['sigma'] * scale, params['sigma'] * scale)
        invalid = np.isnan(array)
        if not invalid.any():
            return gaussian_filter(array, sigma, mode='reflect')
        total = gaussian_filter(np.where(invalid, 0, array), sigma, mode='reflect')
        weight = gaussian_filter((~invalid).astype(np.float32), sigma, mode='reflect')
        with np.errstate(divide='ignore', invalid='ignore'):
            out = total / weight
        out[invalid] = np.nan
        return out

    def extra_repr(self) -> str:
        return f'sigma={self.sigma}, {super().extra_repr()}'


@TRANSFORMS.register_module()
class RandomBandDropout(_RandomBandTransform):
    """With ``prob``, blank 1…``max_bands`` random bands (at least one band always survives).

    Dropped bands become ``fill_value``, NaN by default: this runs on raw values, before the
    data preprocessor normalizes, and the preprocessor turns NaN into 0 *after* normalization,
    so a dropped band reaches the model at exactly its mean. A raw 0 would instead become
    ``−mean/std``, an extreme value rather than "no information".

    Args:
        prob: probability of dropping bands in a call.
        max_bands: most bands dropped at once.
        fill_value: value of dropped bands.
        keys: arrays whose bands (by position) are dropped together.
    """

    def __init__(self, prob: float = 0.5, max_bands: int = 1,
                 keys: str | Sequence[str] = ('img',), fill_value: float = float('nan')) -> None:
        super().__init__(prob, keys)
        if max_bands < 1:
            raise ValueError(f'RandomBandDropout: max_bands must be >= 1, got {max_bands}')
        self.max_bands, self.fill_value = max_bands, fill_value

    def draw(self, num_bands: int) -> dict:
        """A random band order and how many of its first bands to drop."""
        return dict(order=np.random.permutation(num_bands),
                    count=int(np.random.randint(1, self.max_bands + 1)))

    def apply(self, array: np.ndarray, params: dict, scale: float) -> np.ndarray:
        """Fill the drawn bands that exist in ``array``, keeping at least one band."""
        c = array.shape[0]
        candidates = [i for i in params['order'] if i < c]
        dropped = candidates[:min(params['count'], c - 1)]
        out = array.copy()
        out[dropped] = self.fill_value
        return out

    def extra_repr(self) -> str:
        return f'max_bands={self.max_bands}, fill_value={self.fill_value}, {super().extra_repr()}'


@TRANSFORMS.register_module()
class RandomGrayscaleEO(_RandomBandTransform):
    """With ``prob``, replace every band by the equal-weight mean over bands (NaN-skipping).

    The band-agnostic analogue of RGB grayscale: spectral information is removed, texture kept.
    """

    def __init__(self, prob: float = 0.2, keys: str | Sequence[str] = ('img',)) -> None:
        super().__init__(prob, keys)

    def apply(self, array: np.ndarray, params: dict, scale: float) -> np.ndarray:
        """Every band becomes the per-pixel mean of the valid bands."""
        valid = ~np.isnan(array)
        count = valid.sum(axis=0, keepdims=True)
        total = np.where(valid, array, 0).sum(axis=0, keepdims=True)
        gray = np.where(count > 0, total / np.maximum(count, 1), np.nan)
        return np.broadcast_to(gray, array.shape).copy()


@TRANSFORMS.register_module()
class ClipValues(MultiKeyTransform):
    """Clip to ``[min, max]`` then add ``offset`` (Dual-SimCLR: S1 dB ``[-25, 0]`` + 25, S2
    reflectance ``[0, 10000]``). NaN stays NaN."""

    def __init__(self, keys: str | Sequence[str], min: float, max: float,  # noqa: A002
                 offset: float = 0.0) -> None:
        super().__init__(keys)
        if min > max:
            raise ValueError(f'ClipValues: min={min} is greater than max={max}')
        self.min, self.max, self.offset = min, max, offset

    def transform(self, results: dict) -> dict:
        """Clip and shift every key."""
        for key, array in self.arrays(results).items():
            clipped = np.clip(array, self.min, self.max) + self.offset
            self.store(results, key, clipped.astype(np.float32))
        return results

    def extra_repr(self) -> str:
        return f'min={self.min}, max={self.max}, offset={self.offset}'


@TRANSFORMS.register_module()
class PerSampleMaxNormalize(MultiKeyTransform):
    """Divide each band of each sample by its largest absolute valid value (Dual-SimCLR).

    After :class:`ClipValues` the data are non-negative, so bands land in ``[0, 1]``. A band
    that is all zero or all NaN is left unchanged rather than divided by zero.
    """

    def transform(self, results: dict) -> dict:
        """Normalize every key band by band."""
        for key, array in self.arrays(results).items():
            peak = np.where(np.isnan(array), 0, np.abs(array)).max(axis=(1, 2), keepdims=True)
            self.store(results, key, (array / np.where(peak > 0, peak, 1)).astype(np.float32))
        return results
