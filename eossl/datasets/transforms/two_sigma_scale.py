"""SSL4EO / SoftCon input scaling used by Copernicus-Bench for SoftCon: ``mean ± 2 std`` → [0, 1].

Copernicus-Bench feeds SoftCon (``ClsDataAugmentationSoftCon`` and its segmentation twin) each
band as ``clip((x − (m − 2s)) / 4s, 0, 1)`` with the per-band ``m, s`` of the task's config
(``Copernicus-Bench/src/configs/dataset/softcon/*.yaml``), instead of a standardisation. This
transform does that by band name on ``results[key]`` ``(C, H, W)``; NaN (nodata, or a band added
by ``FillMissingBands``) stays NaN, which the data preprocessor then sets to 0.
"""
from collections.abc import Mapping

import numpy as np
from mmcv.transforms import BaseTransform

from eossl.datasets.bands import normalize_band_name
from eossl.datasets.errors import InvalidSampleError
from eossl.registry import TRANSFORMS


@TRANSFORMS.register_module()
class TwoSigmaScale(BaseTransform):
    """``clip((x − (m − 2s)) / 4s, 0, 1)`` per band (see the module docstring).

    Args:
        stats: ``{band name: (mean, std)}``; every band of the image must be listed.
        key: the results key of the image; its band names are ``results[key + '_bands']``.
    """

    def __init__(self, stats: Mapping[str, tuple[float, float]], key: str = 'img') -> None:
        self.stats = {normalize_band_name(b): (float(m), float(s)) for b, (m, s) in stats.items()}
        bad = [b for b, (_, s) in self.stats.items() if s <= 0]
        if bad:
            raise ValueError(f'TwoSigmaScale: std must be > 0 for bands {bad}')
        self.key = key

    def transform(self, results: dict) -> dict:
        """Scale ``results[key]`` in place of the raw values."""
        names = [normalize_band_name(b) for b in results[self.key + '_bands']]
        missing = [b for b in names if b not in self.stats]
        if missing:
            raise InvalidSampleError(f'TwoSigmaScale: no statistics for band(s) {missing}; '
                                     f'have {sorted(self.stats)}')
        mean = np.array([self.stats[b][0] for b in names], dtype=np.float32)[:, None, None]
        std = np.array([self.stats[b][1] for b in names], dtype=np.float32)[:, None, None]
        image = (results[self.key].astype(np.float32) - (mean - 2 * std)) / (4 * std)
        results[self.key] = np.clip(image, 0.0, 1.0)
        return results
