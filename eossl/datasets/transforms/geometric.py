"""Geometric augmentations of multi-band ``(C, H, W)`` arrays with shared parameters per key.

Boxes are drawn on the first key's grid and mapped proportionally onto other keys' grids, so a
10 m and a 20 m array of one location are cut over the same ground extent. Resizing goes through
:func:`.resampling.resample`, which is NaN-aware: a pixel whose kernel support is mostly nodata
stays NaN, the others only mix valid neighbours (never a NaN smeared into data).
"""
import math
from abc import abstractmethod
from typing import Sequence

import numpy as np
from mmcv.transforms.utils import cache_randomness

from eossl.datasets.errors import InvalidSampleError
from eossl.registry import TRANSFORMS

from .keyed import MultiKeyTransform
from .resampling import RESAMPLE_MODES, Box, resample

Size = int | Sequence[int]


def _as_size(size: Size) -> tuple[int, int]:
    pair = (int(size), int(size)) if isinstance(size, int) else (int(size[0]), int(size[1]))
    if min(pair) <= 0:
        raise ValueError(f'size must be positive, got {size}')
    return pair


def crop_box(array: np.ndarray, box: Box, reference: tuple[int, int],
             size: tuple[int, int] | None = None, mode: str = 'bilinear') -> np.ndarray:
    """Cut ``box`` (reference-grid pixels) out of ``array`` ``(C, H, W)`` on its own grid.

    Args:
        array: raster of any band count.
        box: ``(top, left, height, width)`` on the reference grid of shape ``reference``.
        reference: ``(H, W)`` of the grid the box was drawn on.
        size: output ``(h, w)``; ``None`` keeps the box's size on ``array``'s grid (rounded).
        mode: resampling mode when the cut is not a plain integer slice.
    """
    fy, fx = array.shape[1] / reference[0], array.shape[2] / reference[1]
    top, left, height, width = box[0] * fy, box[1] * fx, box[2] * fy, box[3] * fx
    out = size or (max(1, round(height)), max(1, round(width)))
    exact = all(float(v).is_integer() for v in (top, left, height, width))
    if exact and out == (height, width):
        return array[:, int(top):int(top + height), int(left):int(left + width)].copy()
    return resample(array, out, (top, left, height, width), mode)


class _BoxTransform(MultiKeyTransform):
    """Shared flow of crop/resize transforms: draw one box, cut it from every key."""

    def __init__(self, size: Size, keys: str | Sequence[str], resample: str,
                 resize_to_size: bool) -> None:
        super().__init__(keys)
        if resample not in RESAMPLE_MODES:
            raise ValueError(f'{type(self).__name__}: resample={resample!r}, expected one of '
                             f'{RESAMPLE_MODES}')
        self.size = _as_size(size)
        self.resample = resample
        self.resize_to_size = resize_to_size

    @abstractmethod
    def box(self, height: int, width: int, results: dict) -> Box:
        """The box ``(top, left, h, w)`` on the reference grid of ``(height, width)``."""

    @cache_randomness
    def cached_box(self, height: int, width: int, results: dict) -> Box:
        """:meth:`box`, cached inside mmcv's ``cache_random_params`` context."""
        return self.box(height, width, results)

    def transform(self, results: dict) -> dict:
        """Cut the same box from every key; outputs are ``size`` or the box's proportional size."""
        arrays = self.arrays(results)
        reference = self.reference_shape(arrays)
        box = self.cached_box(*reference, results)
        for key, array in arrays.items():
            size = self.size if self.resize_to_size or key == self.keys[0] else None
            self.store(results, key, crop_box(array, box, reference, size, self.resample))
        return results

    def _check_fits(self, height: int, width: int, results: dict) -> None:
        if self.size[0] > height or self.size[1] > width:
            raise InvalidSampleError(f"sample {results.get('sample_id')!r}: {self.keys[0]!r} is "
                                     f'{height}x{width}, smaller than the crop {self.size}')

    def extra_repr(self) -> str:
        return f'size={self.size}, resample={self.resample!r}'


@TRANSFORMS.register_module()
class EORandomResizedCrop(_BoxTransform):
    """Random area/aspect crop resized to ``size`` (the torchvision recipe), for any band count.

    Args:
        size: output ``(H, W)`` or int, the same for every key.
        scale: range of the crop area as a fraction of the reference image area.
        ratio: range of the crop aspect ratio (width / height), sampled log-uniformly.
        keys: arrays cropped with the same box; see :class:`.keyed.MultiKeyTransform`.
        resample: ``'nearest'``, ``'bilinear'`` or ``'bicubic'``.
        max_attempts: random draws tried before falling back to the largest centred box.
    """

    def __init__(self, size: Size, scale: Sequence[float] = (0.08, 1.0),
                 ratio: Sequence[float] = (3 / 4, 4 / 3), keys: str | Sequence[str] = ('img',),
                 resample: str = 'bilinear', max_attempts: int = 10) -> None:
        super().__init__(size, keys, resample, resize_to_size=True)
        if not (0 < scale[0] <= scale[1] <= 1) or not (0 < ratio[0] <= ratio[1]):
            raise ValueError(f'EORandomResizedCrop: need 0 < scale[0] <= scale[1] <= 1 and 0 < '
                             f'ratio[0] <= ratio[1], got scale={scale}, ratio={ratio}')
        self.scale, self.ratio, self.max_attempts = tuple(scale), tuple(ratio), max_attempts

    def box(self, height: int, width: int, results: dict) -> Box:
        """Try random area/aspect boxes; fall back to the largest centred box in ``ratio``."""
        area = height * width
        log_ratio = (math.log(self.ratio[0]), math.log(self.ratio[1]))
        for _ in range(self.max_attempts):
            target = area * np.random.uniform(*self.scale)
            aspect = math.exp(np.random.uniform(*log_ratio))
            w = round(math.sqrt(target * aspect))
            h = round(math.sqrt(target / aspect))
            if 0 < w <= width and 0 < h <= height:
                return (np.random.randint(0, height - h + 1), np.random.randint(0, width - w + 1),
                        h, w)
        aspect = min(max(width / height, self.ratio[0]), self.ratio[1])
        w, h = (width, round(width / aspect)) if width / height <= aspect else (
            round(height * aspect), height)
        return ((height - h) // 2, (width - w) // 2, h, w)

    def extra_repr(self) -> str:
        return f'{super().extra_repr()}, scale={self.scale}, ratio={self.ratio}'


@TRANSFORMS.register_module()
class EORandomCrop(_BoxTransform):
    """Random ``size`` crop of the reference key; other keys get the same ground extent.

    Keys on other grids are cut proportionally (a plain slice whenever the mapped box is integer).
    """

    def __init__(self, size: Size, keys: str | Sequence[str] = ('img',),
                 resample: str = 'bilinear') -> None:
        super().__init__(size, keys, resample, resize_to_size=False)

    def box(self, height: int, width: int, results: dict) -> Box:
        """A uniformly placed ``size`` box inside the reference grid."""
        self._check_fits(height, width, results)
        return (np.random.randint(0, height - self.size[0] + 1),
                np.random.randint(0, width - self.size[1] + 1), *self.size)


@TRANSFORMS.register_module()
class EOCenterCrop(_BoxTransform):
    """Centred ``size`` crop of the reference key; other keys get the same ground extent."""

    def __init__(self, size: Size, keys: str | Sequence[str] = ('img',),
                 resample: str = 'bilinear') -> None:
        super().__init__(size, keys, resample, resize_to_size=False)

    def box(self, height: int, width: int, results: dict) -> Box:
        """The centred ``size`` box (offsets floored)."""
        self._check_fits(height, width, results)
        return ((height - self.size[0]) // 2, (width - self.size[1]) // 2, *self.size)


@TRANSFORMS.register_module()
class EOResize(_BoxTransform):
    """Resize every key to ``size`` ``(H, W)`` (NaN-aware, antialiased when shrinking)."""

    def __init__(self, size: Size, keys: str | Sequence[str] = ('img',),
                 resample: str = 'bilinear') -> None:
        super().__init__(size, keys, resample, resize_to_size=True)

    def box(self, height: int, width: int, results: dict) -> Box:
        """The whole reference grid."""
        return (0, 0, height, width)


@TRANSFORMS.register_module()
class EORandomFlip(MultiKeyTransform):
    """Flip every key along each listed direction, each one independently with ``prob``.

    Args:
        prob: probability of each direction's flip.
        direction: any of ``'horizontal'`` (left-right) and ``'vertical'`` (up-down).
        keys: arrays flipped together.

    Sets ``results['flip']`` and ``results['flip_direction']`` (tuple of applied directions).
    """

    AXES = {'horizontal': 2, 'vertical': 1}

    def __init__(self, prob: float = 0.5,
                 direction: str | Sequence[str] = ('horizontal', 'vertical'),
                 keys: str | Sequence[str] = ('img',)) -> None:
        super().__init__(keys)
        self.direction = (direction,) if isinstance(direction, str) else tuple(direction)
        unknown = [d for d in self.direction if d not in self.AXES]
        if unknown or not 0 <= prob <= 1:
            raise ValueError(f'EORandomFlip: directions must be in {tuple(self.AXES)} and prob '
                             f'in [0, 1], got direction={direction}, prob={prob}')
        self.prob = prob

    @cache_randomness
    def directions(self) -> tuple[str, ...]:
        """The directions flipped this call."""
        return tuple(d for d in self.direction if np.random.rand() < self.prob)

    def transform(self, results: dict) -> dict:
        """Flip all keys along the same drawn directions."""
        arrays = self.arrays(results)
        applied = self.directions()
        for key, array in arrays.items():
            for d in applied:
                array = np.flip(array, axis=self.AXES[d])
            self.store(results, key, np.ascontiguousarray(array))
        results['flip'] = bool(applied)
        results['flip_direction'] = applied
        return results

    def extra_repr(self) -> str:
        return f'prob={self.prob}, direction={self.direction}'


@TRANSFORMS.register_module()
class RandomRot90(MultiKeyTransform):
    """With ``prob``, rotate every key by the same multiple of 90° (1, 2 or 3 quarter turns).

    Overhead imagery has no canonical "up", so all four orientations are valid views.
    """

    def __init__(self, prob: float = 0.5, keys: str | Sequence[str] = ('img',)) -> None:
        super().__init__(keys)
        if not 0 <= prob <= 1:
            raise ValueError(f'RandomRot90: prob must be in [0, 1], got {prob}')
        self.prob = prob

    @cache_randomness
    def quarter_turns(self) -> int:
        """Number of counter-clockwise quarter turns this call (0 = unchanged)."""
        return int(np.random.randint(1, 4)) if np.random.rand() < self.prob else 0

    def transform(self, results: dict) -> dict:
        """Rotate all keys by the same drawn angle."""
        arrays = self.arrays(results)
        turns = self.quarter_turns()
        for key, array in arrays.items():
            self.store(results, key, np.ascontiguousarray(np.rot90(array, turns, axes=(1, 2))))
        results['rot90'] = turns
        return results

    def extra_repr(self) -> str:
        return f'prob={self.prob}'
