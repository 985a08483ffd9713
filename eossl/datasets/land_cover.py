"""Land-cover legends of DFC2020 / SEN12MS, raw values → class indices, and scene labels.

DFC2020's high-resolution maps (``dfc_0``) use the simplified IGBP scheme of SEN12MS, values
1 … 10. Savanna (3) and Snow/Ice (8) never occur in the official DFC2020 validation and test
maps, so downstream work (Dual-SimCLR among it) uses the remaining 8 classes; their pixels, if
any, are ignored. SEN12MS itself ships MODIS IGBP maps (``lc`` band ``IGBP``, values 1 … 17),
which the same simplification merges into those classes (Schmitt et al., "SEN12MS", 2019).
"""
from collections.abc import Mapping

import numpy as np

from .errors import InvalidSampleError

DFC2020_CLASSES = ('Forest', 'Shrubland', 'Grassland', 'Wetland', 'Cropland', 'Urban/Built-up',
                   'Barren', 'Water')
IGNORE_INDEX = 255

# raw value in the map -> class index in DFC2020_CLASSES; any other value is ignored
LABEL_MAPS: dict[str, dict[int, int]] = {
    # 3 Savanna and 8 Snow/Ice are left out
    'dfc2020': {1: 0, 2: 1, 4: 2, 5: 3, 6: 4, 7: 5, 9: 6, 10: 7},
    'sen12ms_igbp': {1: 0, 2: 0, 3: 0, 4: 0, 5: 0,  # forests
                     6: 1, 7: 1,  # closed / open shrublands
                     10: 2, 11: 3,  # grasslands, permanent wetlands
                     12: 4, 14: 4,  # croplands, cropland / natural vegetation mosaics
                     13: 5, 16: 6, 17: 7},  # urban, barren, water (8, 9 savannas, 15 snow: out)
}
SCENE_LABEL_MODES = ('single', 'multi')


def resolve_label_map(label_map: str | Mapping[int, int]) -> dict[int, int]:
    """A label map given by name (a key of ``LABEL_MAPS``) or as ``{raw value: class index}``."""
    if isinstance(label_map, str):
        if label_map not in LABEL_MAPS:
            raise KeyError(f'unknown label map {label_map!r}; known: {sorted(LABEL_MAPS)} (or '
                           'give a dict {raw value: class index})')
        return LABEL_MAPS[label_map]
    return {int(raw): int(index) for raw, index in label_map.items()}


def remap_labels(raw: np.ndarray, label_map: Mapping[int, int],
                 ignore_index: int = IGNORE_INDEX) -> np.ndarray:
    """Raw map values (any shape; NaN = nodata) → int64 class indices; unmapped values and
    nodata → ``ignore_index``."""
    out = np.full(raw.shape, ignore_index, dtype=np.int64)
    valid = np.isfinite(raw)
    values = np.where(valid, raw, -1).astype(np.int64)
    for value, index in label_map.items():
        out[valid & (values == value)] = index
    return out


def scene_labels(class_map: np.ndarray, num_classes: int, mode: str,
                 min_fraction: float = 0.1, ignore_index: int = IGNORE_INDEX,
                 source: str = 'label map') -> list[int]:
    """Image-level labels of a class-index map (ignored pixels excluded from the counts).

    Args:
        class_map: int class indices (any shape), ``ignore_index`` for unlabelled pixels.
        num_classes: number of classes; indices must be below it.
        mode: ``'single'``: ``[the majority class]`` (ties → the lower index); ``'multi'``:
            the sorted classes covering at least ``min_fraction`` of the labelled pixels.
        min_fraction: threshold of ``'multi'``.
        source: the file named in errors.

    Raises:
        InvalidSampleError: no labelled pixel, or an index outside ``[0, num_classes)``.
    """
    if mode not in SCENE_LABEL_MODES:
        raise ValueError(f'scene label mode must be one of {SCENE_LABEL_MODES}, got {mode!r}')
    labelled = class_map[class_map != ignore_index]
    if labelled.size == 0:
        raise InvalidSampleError(f'{source}: no labelled pixel, cannot derive a scene label')
    if labelled.min() < 0 or labelled.max() >= num_classes:
        raise InvalidSampleError(f'{source}: class indices {np.unique(labelled).tolist()} '
                                 f'outside [0, {num_classes})')
    counts = np.bincount(labelled.ravel(), minlength=num_classes)
    if mode == 'single':
        return [int(np.argmax(counts))]
    return np.flatnonzero(counts >= min_fraction * labelled.size).tolist()
