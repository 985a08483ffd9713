"""Base of the multi-band augmentations: one random draw applied to every array in ``keys``."""
from collections.abc import Sequence

import numpy as np
from mmcv.transforms import BaseTransform


class MultiKeyTransform(BaseTransform):
    """A transform of the ``(C, H, W)`` arrays ``results[key]`` for ``key in keys``.

    Subclasses draw their random parameters once per call (from the global ``np.random`` so that
    mmengine's seeding applies) and apply them to every key, so paired modalities (``keys=('s1',
    's2')``) or student/teacher copies stay aligned. Keys may differ in band count; when their
    ``(H, W)`` differ, spatial parameters are drawn on the first key's grid and mapped
    proportionally.

    Args:
        keys: result keys holding float ``(C, H, W)`` arrays; the first is the reference grid.
    """

    def __init__(self, keys: str | Sequence[str] = ('img',)) -> None:
        self.keys = (keys,) if isinstance(keys, str) else tuple(keys)
        if not self.keys:
            raise ValueError(f'{type(self).__name__}: keys must name at least one result key')

    def arrays(self, results: dict) -> dict[str, np.ndarray]:
        """The arrays of ``keys``, checked to be ``(C, H, W)``."""
        arrays = {}
        for key in self.keys:
            if key not in results:
                raise KeyError(f'{type(self).__name__}: results have no {key!r} (keys: '
                               f'{sorted(results)})')
            value = results[key]
            if not isinstance(value, np.ndarray) or value.ndim != 3:
                shape = getattr(value, 'shape', type(value).__name__)
                raise ValueError(f'{type(self).__name__}: results[{key!r}] must be a (C, H, W) '
                                 f'numpy array, got {shape}')
            arrays[key] = value
        return arrays

    def reference_shape(self, arrays: dict[str, np.ndarray]) -> tuple[int, int]:
        """``(H, W)`` of the first key, the grid random parameters are drawn on."""
        return arrays[self.keys[0]].shape[1:]

    def store(self, results: dict, key: str, array: np.ndarray) -> None:
        """Write a transformed array back and keep ``key + '_shape'`` (as the loader set it)."""
        results[key] = array
        results[key + '_shape'] = array.shape[1:]

    def extra_repr(self) -> str:
        """Subclass arguments shown by ``repr`` after ``keys``."""
        return ''

    def __repr__(self) -> str:
        extra = self.extra_repr()
        return f'{type(self).__name__}({extra}{", " if extra else ""}keys={self.keys})'
