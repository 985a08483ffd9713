"""The compact encoding of band arrays: integers (or float16) on the wire, float32 on the device.

A packed sample (``eossl-pack-shards --layout compact``) stores each modality as one contiguous
``(C, H, W)`` array in a small dtype, and DataLoader workers hand that array over unchanged; the
data preprocessor turns it into float32 with NaN for missing pixels. One rule, used by both
ends:

- an integer source (uint16 reflectance, int16 elevation, uint8 classes) stays in its dtype;
  values are rounded to the nearest integer (only resampled bands have fractions) and clipped to
  the dtype's range; **missing pixels (NaN) are the dtype's extreme value**: the maximum for
  unsigned types (uint16 65535, uint8 255), the minimum for signed ones (int16 −32768); a valid
  value that would land on it is moved one step inwards (S2 L1C saturates below 65535, so
  real data never loses a value to it);
- a floating-point source (S1 backscatter in dB) becomes float16 (about 3 significant digits:
  ≤ 0.008 dB at −20 dB); NaN stays NaN, ±inf stays ±inf.

Decoding (:func:`decode_array` for numpy, :func:`decode_tensor` for torch) is exact: an integer
is converted to float32, the extreme value to NaN; float16 widens to float32.
"""
import numpy as np
import torch

COMPACT_DTYPES = ('uint8', 'uint16', 'int16', 'float16')


def compact_dtype(source: np.dtype | str) -> np.dtype:
    """The dtype a ``source`` dtype is stored in (see the module docstring).

    Raises:
        ValueError: an integer dtype wider than 16 bits (its values do not fit).
    """
    source = np.dtype(source)
    if source.kind == 'f':
        return np.dtype(np.float16)
    if source.kind == 'b':
        return np.dtype(np.uint8)
    if source.kind in 'iu' and source.itemsize <= 2:
        return source
    raise ValueError(f'compact layout: {source} values do not fit a compact dtype '
                     f'({", ".join(COMPACT_DTYPES)})')


def nodata_value(dtype: np.dtype | torch.dtype) -> int | None:
    """The value marking a missing pixel in an integer ``dtype``; None for floats (NaN) and
    booleans (nothing missing)."""
    if isinstance(dtype, torch.dtype):
        if dtype.is_floating_point or dtype.is_complex or dtype == torch.bool:
            return None
        info = torch.iinfo(dtype)
        return info.max if info.min == 0 else info.min
    dtype = np.dtype(dtype)
    if dtype.kind not in 'iu':
        return None
    info = np.iinfo(dtype)
    return int(info.max) if info.min == 0 else int(info.min)


def encode_array(values: np.ndarray, dtype: np.dtype | str) -> np.ndarray:
    """float ``values`` (NaN = missing) → a contiguous array of the compact ``dtype``."""
    dtype = np.dtype(dtype)
    if dtype.kind == 'f':
        return np.ascontiguousarray(values, dtype=dtype)
    nodata = nodata_value(dtype)
    info = np.iinfo(dtype)
    low, high = (info.min, info.max - 1) if nodata == info.max else (info.min + 1, info.max)
    missing = np.isnan(values)
    out = np.clip(np.rint(np.where(missing, 0, values)), low, high).astype(dtype)
    out[missing] = nodata
    return np.ascontiguousarray(out)


def valid_mask(array: np.ndarray) -> np.ndarray:
    """Boolean mask of present pixels of a float (finite) or compact integer array."""
    nodata = nodata_value(array.dtype)
    return np.isfinite(array) if nodata is None else array != nodata


def decode_array(array: np.ndarray) -> np.ndarray:
    """A compact (or float) array → float32 with NaN where a pixel is missing."""
    nodata = nodata_value(array.dtype)
    out = array.astype(np.float32)
    if nodata is not None:
        out[array == nodata] = np.nan
    return out


def decode_tensor(tensor: torch.Tensor) -> torch.Tensor:
    """:func:`decode_array` for a tensor (on any device): float32, the nodata value → NaN."""
    nodata = nodata_value(tensor.dtype)
    if nodata is None:
        return tensor.float()
    if tensor.dtype == torch.uint16:  # torch has few uint16 kernels (CUDA fewer): widen via
        tensor = tensor.view(torch.int16).int() & 0xFFFF  # int16, whose kernels all exist
    out = tensor.float()  # compared as float32, exact for 16-bit integers
    return out.masked_fill(out == nodata, float('nan'))
