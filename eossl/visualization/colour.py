"""False colour of multispectral / SAR images and the Agg figure setup every eossl figure uses.

A figure shows bands by name: :func:`display_bands` picks the three bands of the image shown as
R, G, B (true colour B4 B3 B2 when present, VV / VH / VV for Sentinel-1, else the first three)
and the figure titles name them.
"""
from collections.abc import Sequence

import numpy as np
import torch

TRUE_COLOUR = ('B4', 'B3', 'B2')
SAR = ('VV', 'VH', 'VV')


def pyplot():
    """matplotlib's pyplot on the file-only Agg backend (no display needed)."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    return plt


def display_bands(bands: Sequence[str] | None, channels: int) -> tuple[list[int], list[str]]:
    """Indices and names of the bands shown as R, G, B for an image of ``channels`` bands named
    ``bands`` (``None``: unnamed, shown as ``band 1`` ...)."""
    names = list(bands) if bands is not None else [f'band {i + 1}' for i in range(channels)]
    if len(names) != channels:
        raise ValueError(f'{channels}-band image but {len(names)} band names {names}')
    for wanted in (TRUE_COLOUR, SAR):
        if all(b in names for b in wanted):
            return [names.index(b) for b in wanted], list(wanted)
    picked = [min(i, channels - 1) for i in range(3)]
    return picked, [names[i] for i in picked]


def stretch(image: np.ndarray | torch.Tensor) -> np.ndarray:
    """``(3, H, W)`` (any scale, NaN allowed) → ``(H, W, 3)`` float in [0, 1]: each band
    stretched from its 2nd to its 98th percentile; NaN black."""
    array = image.detach().cpu().float().numpy() if isinstance(image, torch.Tensor) else image
    array = np.asarray(array, dtype=np.float64)
    out = np.zeros(array.shape[1:] + (3, ), np.float64)
    for i, band in enumerate(array[:3]):
        valid = np.isfinite(band)
        if not valid.any():
            continue
        low, high = np.percentile(band[valid], (2, 98))
        scaled = (band - low) / (high - low) if high > low else band * 0 + 0.5
        out[..., i] = np.where(valid, np.clip(scaled, 0, 1), 0)
    return out


def false_colour(image: np.ndarray | torch.Tensor,
                 bands: Sequence[str] | None = None) -> tuple[np.ndarray, str]:
    """``(C, H, W)`` image → ``((H, W, 3) RGB in [0, 1], 'R=B4 G=B3 B=B2')``."""
    index, names = display_bands(bands, image.shape[0])
    return stretch(image[index]), 'R={} G={} B={}'.format(*names)
