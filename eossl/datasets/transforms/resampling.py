"""NaN-aware resampling of any-band rasters, shared by the loader and the geometric transforms.

Resampling is separable: each axis gets a dense weight matrix (output pixels × input pixels) built
from the kernel, so a fractional crop box, up- and down-sampling (with an antialiasing kernel
widened by the scale factor, as PIL does) and any band count are one pair of matrix products.

Nodata policy: NaN never leaks into valid pixels and fill values never mix with data. The values
(NaN → 0) and the validity mask are resampled with the same weights and divided (normalized
convolution); an output pixel is NaN when less than half of its kernel weight fell on valid input,
otherwise it is the weighted mean of its valid neighbours. Without NaN this is plain resampling.
"""
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

Box = tuple[float, float, float, float]  # (top, left, height, width) in input pixels
RESAMPLE_MODES = ('nearest', 'bilinear', 'bicubic')
_RADIUS = {'bilinear': 1.0, 'bicubic': 2.0}


def _kernel(x: np.ndarray, mode: str) -> np.ndarray:
    """Interpolation kernel at distances ``x`` (in output-scaled input pixels)."""
    x = np.abs(x)
    if mode == 'bilinear':
        return np.clip(1.0 - x, 0.0, None)
    a = -0.5  # Keys' cubic, the value PIL and OpenCV use
    return np.where(x <= 1, (a + 2) * x**3 - (a + 3) * x**2 + 1,
                    np.where(x < 2, a * x**3 - 5 * a * x**2 + 8 * a * x - 4 * a, 0.0))


@lru_cache(maxsize=512)
def axis_weights(start: float, length: float, size_in: int, size_out: int,
                 mode: str) -> np.ndarray:
    """Weights ``(size_out, size_in)`` mapping input pixels to ``size_out`` samples of the span.

    The span ``[start, start + length)`` is in input pixel units (pixel ``j`` covers
    ``[j, j + 1)``); output pixel ``i`` is centred at ``start + (i + 0.5) * length / size_out``.
    Samples near the border use only in-range pixels (rows are renormalized: edge replication).
    Cached (read-only result): a loader resamples every sample's coarse bands with the same
    weights.
    """
    if mode not in RESAMPLE_MODES:
        raise ValueError(f'resample mode {mode!r} is not one of {RESAMPLE_MODES}')
    scale = length / size_out
    centres = start + (np.arange(size_out) + 0.5) * scale
    if mode == 'nearest':
        index = np.clip(np.floor(centres).astype(np.int64), 0, size_in - 1)
        weights = np.zeros((size_out, size_in), np.float32)
        weights[np.arange(size_out), index] = 1.0
        weights.flags.writeable = False
        return weights
    support = max(scale, 1.0)  # widen the kernel when downsampling: antialiasing
    distance = (np.arange(size_in)[None, :] + 0.5 - centres[:, None]) / support
    weights = _kernel(distance, mode)
    totals = weights.sum(axis=1, keepdims=True)
    empty = totals[:, 0] <= 0
    if empty.any():  # a sample beyond the border takes the nearest edge pixel
        nearest = np.clip(np.floor(centres[empty]).astype(np.int64), 0, size_in - 1)
        weights[empty] = 0.0
        weights[np.flatnonzero(empty), nearest] = 1.0
        totals = weights.sum(axis=1, keepdims=True)
    weights = (weights / totals).astype(np.float32)
    weights.flags.writeable = False
    return weights


def kernel_margin(scale: float, mode: str) -> int:
    """Input pixels beyond a span that can carry weight, for reading a padded window."""
    return int(np.ceil(_RADIUS.get(mode, 0.5) * max(scale, 1.0))) + 1


def _trimmed(weights: np.ndarray) -> tuple[np.ndarray, tuple[int, int]]:
    """``weights`` (out, in) cut to the input span ``[i0, i1)`` that carries weight, so that a
    crop's matrix products touch only the pixels under its box."""
    used = np.flatnonzero(weights.any(axis=0))
    i0, i1 = int(used[0]), int(used[-1]) + 1
    return weights[:, i0:i1], (i0, i1)


def resample(array: np.ndarray, size: Sequence[int], box: Box | None = None,
             mode: str = 'bilinear') -> np.ndarray:
    """Resample the ``box`` of ``array`` ``(C, H, W)`` to ``(C, size[0], size[1])`` float32.

    Args:
        array: raster with any band count; NaN marks nodata.
        size: output ``(height, width)``.
        box: ``(top, left, height, width)`` in input pixels, fractional allowed; default the
            whole array.
        mode: ``'nearest'``, ``'bilinear'`` or ``'bicubic'``.
    """
    if array.ndim != 3:
        raise ValueError(f'resample expects a (C, H, W) array, got shape {array.shape}')
    _, height, width = array.shape
    top, left, box_h, box_w = (0.0, 0.0, float(height), float(width)) if box is None else box
    out_h, out_w = int(size[0]), int(size[1])
    if (top, left, box_h, box_w, out_h, out_w) == (0, 0, height, width, height, width):
        return array.astype(np.float32, copy=True)
    rows, (r0, r1) = _trimmed(axis_weights(top, box_h, height, out_h, mode))
    cols, (c0, c1) = _trimmed(axis_weights(left, box_w, width, out_w, mode))
    data = array[:, r0:r1, c0:c1].astype(np.float32, copy=False)
    invalid = np.isnan(data)
    if not invalid.any():
        return rows @ data @ cols.T
    valid = (~invalid).astype(np.float32)
    total = rows @ np.where(invalid, 0.0, data).astype(np.float32) @ cols.T
    support = rows @ valid @ cols.T
    with np.errstate(divide='ignore', invalid='ignore'):
        out = total / support
    out[support < 0.5] = np.nan
    return out.astype(np.float32, copy=False)
