"""SSL4EO / SoftCon input scaling used by Copernicus-Bench for SoftCon: ``mean ± 2 std`` → [0, 1].

Copernicus-Bench feeds SoftCon (``ClsDataAugmentationSoftCon`` and its segmentation twin) each
band as ``clip((x − (m − 2s)) / 4s, 0, 1)`` with the per-band ``m, s`` of the task's config
(``Copernicus-Bench/src/configs/dataset/softcon/*.yaml``), instead of a standardisation. This
transform does that by band name on ``results[key]`` ``(C, H, W)``; NaN (nodata, or a band added
by ``FillMissingBands``) stays NaN, which the data preprocessor then sets to 0.
"""
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from mmcv.transforms import BaseTransform

from eossl.datasets.bands import (
    band_stats,
    normalize_band_name,
    resolve_bands,
    split_spec,
    stored_band_order,
)
from eossl.datasets.errors import InvalidSampleError
from eossl.registry import TRANSFORMS


def named_stats(stats: Mapping[str, Any] | str | Sequence[str]
                ) -> Mapping[str, tuple[float, float]]:
    """``{band: (mean, std)}`` of a mapping (as it is), of ``dict(bands=<band-set name or
    names>, mean=[...], std=[...])`` (lists in that band order), or of named statistics
    ``'source:sensor'`` (one, or a sequence whose bands are joined; a band in two of them is an
    error)."""
    if isinstance(stats, Mapping) and set(stats) == {'bands', 'mean', 'std'}:
        bands = resolve_bands(stats['bands']) or ()
        if not len(bands) == len(stats['mean']) == len(stats['std']):
            raise ValueError(f"TwoSigmaScale: stats {stats['bands']!r} names {len(bands)} bands "
                             f"but gives {len(stats['mean'])} means and {len(stats['std'])} stds")
        return dict(zip(bands, zip(stats['mean'], stats['std'])))
    if isinstance(stats, Mapping):
        return stats
    specs = [stats] if isinstance(stats, str) else list(stats)
    joined: dict[str, tuple[float, float]] = {}
    for spec in specs:
        if not isinstance(spec, str):
            raise ValueError(f'TwoSigmaScale: stats must be {{band: (mean, std)}} or names '
                             f'"source:sensor"; got {stats!r}')
        source, sensor = split_spec(spec)
        means, stds = band_stats(source, sensor)
        order = stored_band_order(source, sensor)
        twice = [b for b in order if b in joined]
        if twice:
            raise ValueError(f'TwoSigmaScale: band(s) {twice} of {spec!r} are in an earlier '
                             f'statistics set of {specs}')
        joined.update(zip(order, zip(means, stds, strict=True), strict=True))
    return joined


@TRANSFORMS.register_module()
class TwoSigmaScale(BaseTransform):
    """``clip((x − (m − 2s)) / 4s, 0, 1)`` per band (see the module docstring).

    Args:
        stats: ``{band name: (mean, std)}``, or named statistics of the band table
            (:mod:`eossl.datasets.bands`): ``'source:sensor'`` (``'ssl4eo_s12:s2_l1c'``) or a
            sequence of them (``('ssl4eo_s12:s1_grd', 'ssl4eo_s12:s2_l1c')``: their bands
            together), or ``dict(bands='s2_l1c', mean=[...], std=[...])`` (a task's own
            statistics in the order of a band set); every band of the image must be listed.
        key: the results key of the image; its band names are ``results[key + '_bands']``.
    """

    def __init__(self, stats: Mapping[str, Any] | str | Sequence[str],
                 key: str = 'img') -> None:
        self.stats = {normalize_band_name(b): (float(m), float(s))
                      for b, (m, s) in named_stats(stats).items()}
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
