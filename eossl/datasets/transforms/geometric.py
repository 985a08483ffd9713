"""Geometric augmentations of multi-band ``(C, H, W)`` arrays with shared parameters per key.

Boxes are drawn on the first key's grid and mapped proportionally onto other keys' grids, so a
10 m and a 20 m array of one location are cut over the same ground extent. Resizing goes through
:func:`.resampling.resample`, which is NaN-aware: a pixel whose kernel support is mostly nodata
stays NaN, the others only mix valid neighbours (never a NaN smeared into data).
"""
import logging
import math
from abc import abstractmethod
from collections.abc import Callable, Sequence

import numpy as np
from mmcv.transforms.utils import cache_randomness
from mmengine.logging import print_log

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


def _read_from(results: dict) -> str:
    """`` read from <file(s)>`` for an error message: the sample's ``paths`` (the dataset
    contract, ``{modality: path or {band: path}}``) or ``img_path``; empty when unknown."""
    paths = results.get('paths') or results.get('img_path')
    if not paths:
        return ''
    if isinstance(paths, dict):
        paths = [p for v in paths.values() for p in (v.values() if isinstance(v, dict) else [v])]
    names = [str(p) for p in (paths if isinstance(paths, (list, tuple)) else [paths])]
    return ' read from ' + ', '.join(names)


def valid_fraction(view: np.ndarray) -> float:
    """Fraction of the pixels of ``view`` ``(C, H, W)`` that are finite in every band."""
    return float(np.isfinite(view).all(axis=0).mean())


class _BoxTransform(MultiKeyTransform):
    """Shared flow of crop/resize transforms: draw one box, cut it from every key."""

    # whether a view without any valid pixel is redrawn even at min_valid_fraction=0
    never_empty = False

    def __init__(self, size: Size, keys: str | Sequence[str], resample: str,
                 resize_to_size: bool, min_valid_fraction: float = 0.0,
                 max_redraws: int = 10) -> None:
        super().__init__(keys)
        if resample not in RESAMPLE_MODES:
            raise ValueError(f'{type(self).__name__}: resample={resample!r}, expected one of '
                             f'{RESAMPLE_MODES}')
        if not 0.0 <= min_valid_fraction <= 1.0 or max_redraws < 0:
            raise ValueError(f'{type(self).__name__}: need 0 <= min_valid_fraction <= 1 and '
                             f'max_redraws >= 0, got {min_valid_fraction}, {max_redraws}')
        self.size = _as_size(size)
        self.resample = resample
        self.resize_to_size = resize_to_size
        self.min_valid_fraction, self.max_redraws = min_valid_fraction, max_redraws
        self.redrawn_views = 0  # per process (each DataLoader worker counts its own)

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
        box, first = self._valid_box(arrays[self.keys[0]], reference, results)
        for key, array in arrays.items():
            size = self.size if self.resize_to_size or key == self.keys[0] else None
            cut = first if key == self.keys[0] else crop_box(array, box, reference, size,
                                                            self.resample)
            self.store(results, key, cut)
        return results

    def _valid_box(self, array: np.ndarray, reference: tuple[int, int],
                   results: dict) -> tuple[Box, np.ndarray]:
        """:meth:`valid_box`, judged on the cut of the first key; returns the box and its cut."""
        cuts = {}

        def fraction(box: Box) -> float:
            cuts[box] = crop_box(array, box, reference, self.size, self.resample)
            return valid_fraction(cuts[box])

        box = self.valid_box(reference, results, fraction,
                             lambda: np.flatnonzero(np.isfinite(array).all(axis=0)))
        return box, cuts[box] if box in cuts else crop_box(array, box, reference, self.size,
                                                           self.resample)

    def valid_box(self, reference: tuple[int, int], results: dict,
                  fraction: Callable[[Box], float],
                  valid_pixels: Callable[[], np.ndarray], cached: bool = True) -> Box:
        """A box whose view has at least ``min_valid_fraction`` valid pixels (``fraction``).

        A pixel is valid when it is finite in every band (loaders turn nodata into NaN). Up to
        ``max_redraws`` further boxes are drawn, each with a freshly drawn size but placed to
        contain a randomly chosen valid pixel (``valid_pixels()``: flat indices on the reference
        grid; uniform placement would keep missing the few valid pixels of a scene-edge tile);
        each redrawn view is counted and logged. When none reaches the minimum, the draw with
        the most valid pixels is kept; an image without any valid pixel makes the sample
        invalid (the dataset's ``skip_invalid`` then logs it and draws another).

        Random crops (``never_empty``) apply this with a minimum of "one valid pixel" also at
        ``min_valid_fraction=0``: a view that is nodata everywhere carries nothing but the fill
        value, so it is redrawn (or the sample refused) whatever the option; views with any
        valid pixel are cut exactly as the official code cuts them.

        ``cached=False`` draws the first box with :meth:`box` instead of :meth:`cached_box`:
        the same draws outside mmcv's ``cache_random_params`` context, without the copy of the
        transform that mmcv's cache wrapper makes on every call (batch-wise view draws,
        :func:`~.view_params.draw_view_params`, which never run in that context).
        """
        box = (self.cached_box if cached else self.box)(*reference, results)
        if self.min_valid_fraction <= 0 and not self.never_empty:
            return box

        def short(valid_share: float) -> bool:
            return valid_share < self.min_valid_fraction or valid_share == 0

        draws = [(fraction(box), box)]
        valid = None
        while short(draws[-1][0]) and len(draws) <= self.max_redraws:
            if valid is None:
                valid = valid_pixels()
                if not valid.size:
                    break
            redrawn = self._anchored(self.box(*reference, results), valid, reference)
            draws.append((fraction(redrawn), redrawn))
        if len(draws) == 1 and not short(draws[0][0]):
            return box
        best, box = max(draws, key=lambda draw: draw[0])  # the first best one
        self.redrawn_views += 1
        sample = results.get('sample_id')
        if best == 0:
            raise InvalidSampleError(
                f'sample {sample!r}: {type(self).__name__} found no valid pixel in '
                f'{self.keys[0]!r}{_read_from(results)} '
                f'(min_valid_fraction={self.min_valid_fraction}): every pixel is nodata')
        kept = 'kept' if best >= self.min_valid_fraction else 'kept the best,'
        print_log(f'{type(self).__name__}: redrew a view of sample {sample!r} whose valid-pixel '
                  f'fraction {draws[0][0]:.2f} < min_valid_fraction={self.min_valid_fraction} '
                  f'({len(draws) - 1} redraws; {kept} valid fraction {best:.2f}; '
                  f'{self.redrawn_views} views redrawn so far)',
                  logger='current', level=logging.WARNING)
        return box

    @staticmethod
    def _anchored(box: Box, valid: np.ndarray, reference: tuple[int, int]) -> Box:
        """``box``'s size, moved so that it contains a random one of the ``valid`` pixels
        (flat indices on the ``reference`` grid), at a random position within the grid."""
        height, width = reference
        y, x = divmod(int(valid[np.random.randint(valid.size)]), width)
        h, w = box[2], box[3]
        top = min(max(y - np.random.randint(0, max(1, int(h))), 0), height - h)
        left = min(max(x - np.random.randint(0, max(1, int(w))), 0), width - w)
        return (top, left, h, w)

    def _check_fits(self, height: int, width: int, results: dict) -> None:
        if self.size[0] > height or self.size[1] > width:
            raise InvalidSampleError(f"sample {results.get('sample_id')!r}: {self.keys[0]!r} is "
                                     f'{height}x{width}, smaller than the crop {self.size}')

    def extra_repr(self) -> str:
        valid = f', min_valid_fraction={self.min_valid_fraction}' if self.min_valid_fraction \
            else ''
        return f'size={self.size}, resample={self.resample!r}{valid}'


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
        min_valid_fraction: eossl option (0 = the official behaviour): a view whose
            fraction of valid (finite in every band) pixels is below it is re-drawn, so crops of
            a scene-edge tile do not reach the model as mostly-nodata inputs; see
            :meth:`valid_box`. The recipes set 0.5. A view without any valid pixel is
            re-drawn at every setting, 0 included.
        max_redraws: bound on the re-draws per view.
    """

    never_empty = True

    def __init__(self, size: Size, scale: Sequence[float] = (0.08, 1.0),
                 ratio: Sequence[float] = (3 / 4, 4 / 3), keys: str | Sequence[str] = ('img',),
                 resample: str = 'bilinear', max_attempts: int = 10,
                 min_valid_fraction: float = 0.0, max_redraws: int = 10) -> None:
        super().__init__(size, keys, resample, resize_to_size=True,
                         min_valid_fraction=min_valid_fraction, max_redraws=max_redraws)
        if not (0 < scale[0] <= scale[1] <= 1) or not (0 < ratio[0] <= ratio[1]):
            raise ValueError(f'EORandomResizedCrop: need 0 < scale[0] <= scale[1] <= 1 and 0 < '
                             f'ratio[0] <= ratio[1], got scale={scale}, ratio={ratio}')
        self.scale, self.ratio, self.max_attempts = tuple(scale), tuple(ratio), max_attempts

    def box(self, height: int, width: int, results: dict) -> Box:
        """Try random area/aspect boxes; fall back to the largest centred box in ``ratio``."""
        area = height * width
        log_ratio = (math.log(self.ratio[0]), math.log(self.ratio[1]))
        for _ in range(self.max_attempts):
            target = area * np.random.uniform(self.scale[0], self.scale[1])
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
    ``min_valid_fraction`` / ``max_redraws``: as in :class:`EORandomResizedCrop`.
    ``last_offset``: whether the top/left offset may be its largest value ``H − size`` (the crop
    touching the bottom/right edge). False reproduces SSLTransformerRS's ``DFCDataset``, which
    draws ``np.random.randint(0, 256 − size)`` and so never reaches the last row/column; a crop
    as large as the grid is placed at 0 either way.
    """

    never_empty = True

    def __init__(self, size: Size, keys: str | Sequence[str] = ('img',),
                 resample: str = 'bilinear', min_valid_fraction: float = 0.0,
                 max_redraws: int = 10, last_offset: bool = True) -> None:
        super().__init__(size, keys, resample, resize_to_size=False,
                         min_valid_fraction=min_valid_fraction, max_redraws=max_redraws)
        self.last_offset = last_offset

    def box(self, height: int, width: int, results: dict) -> Box:
        """A uniformly placed ``size`` box inside the reference grid."""
        self._check_fits(height, width, results)
        spans = [n - s + 1 if self.last_offset else max(n - s, 1)
                 for n, s in ((height, self.size[0]), (width, self.size[1]))]
        return (np.random.randint(0, spans[0]), np.random.randint(0, spans[1]), *self.size)


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
        return self.draw_directions()

    def draw_directions(self) -> tuple[str, ...]:
        """:meth:`directions` without mmcv's cache (same draws), for batch-wise views."""
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
