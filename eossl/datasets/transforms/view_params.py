"""Random parameters of PerA's aligned views, drawn per sample but applied batch-wise.

:class:`~.aligned_views.AlignedMultiViews` with ``batch_augment=True`` calls
:func:`draw_view_params` instead of cutting views: the crop, flip and jitter transforms of the
per-sample path draw their parameters exactly as they would (same transforms, same order, the
global ``np.random``), and the arrays below travel with the sample to the data preprocessor,
which applies them to the whole batch on the accelerator
(:mod:`eossl.models.data_preprocessors.batch_views`).
"""
from collections.abc import Sequence

import numpy as np
from mmcv.transforms import Compose

from eossl.datasets.compact_arrays import valid_mask

from .photometric import RandomBandBrightnessContrast
from .resampling import RESAMPLE_MODES, Box

FLIP_DIRECTIONS = ('horizontal', 'vertical')


def check_batch_photometry(pipelines: Sequence[Compose]) -> None:
    """Batch-wise views support brightness/contrast jitter only; anything else is an error."""
    for pipeline in pipelines:
        for transform in pipeline.transforms:
            if not isinstance(transform, RandomBandBrightnessContrast):
                raise ValueError(f'AlignedMultiViews(batch_augment=True): {transform!r} has no '
                                 'batch-wise version; use RandomBandBrightnessContrast or '
                                 'batch_augment=False')


class SourceValidity:
    """Which pixels of a source image (C, H, W) are valid in every band (finite, or not the
    nodata value of a compact integer image), from an integral image built on first use."""

    def __init__(self, image: np.ndarray) -> None:
        self.image = image
        self._integral: np.ndarray | None = None

    @property
    def integral(self) -> np.ndarray:
        """(H + 1, W + 1) counts of valid pixels above and left of each grid corner."""
        if self._integral is None:
            valid = valid_mask(self.image).all(axis=0)
            self._integral = np.pad(valid.cumsum(0).cumsum(1), ((1, 0), (1, 0)))
        return self._integral

    def fraction(self, box: Box) -> float:
        """Fraction of the source pixels under ``box`` (top, left, h, w) that are valid."""
        integral = self.integral
        t, left, h, w = (int(round(v)) for v in box)
        count = (integral[t + h, left + w] - integral[t, left + w] - integral[t + h, left]
                 + integral[t, left])
        return float(count) / max(h * w, 1)

    def complete(self) -> bool:
        """Whether no pixel of the image is missing."""
        return int(self.integral[-1, -1]) == self.image.shape[1] * self.image.shape[2]


def _jitter(pipeline: Compose, bands: int, factors: np.ndarray, applied: np.ndarray) -> None:
    """Draw a branch's jitters into ``factors`` (n, 2, C) (brightness, contrast; ones) and
    ``applied`` (n,) (False) in place."""
    for i, transform in enumerate(pipeline.transforms):
        params = transform.draw_params(bands)
        if params is not None:
            factors[i, 0], factors[i, 1] = params['brightness'], params['contrast']
            applied[i] = True


def draw_view_params(image: np.ndarray, geometries: Sequence[Compose], student: Compose,
                     teacher: Compose, results: dict,
                     complete: bool = False) -> dict[str, np.ndarray]:
    """Per slot (S = len(geometries)): ``box`` (S, 4) (top, left, h, w) on the source grid,
    ``size`` (S, 2), ``mode`` (S,) (index into ``RESAMPLE_MODES``), ``flip`` (S, 2)
    (horizontal, vertical), per branch ``student`` / ``teacher`` (S, n, 2, C) jitter
    factors with ``*_applied`` (S, n) flags, and ``complete`` (a 0-d bool: the image has no
    missing pixel, so the preprocessor may skip its NaN-aware resampling).

    Each geometry is a crop (a box transform) optionally followed by an ``EORandomFlip``, as
    :class:`~.aligned_views.AlignedMultiViews` builds them. ``complete``: the image is known to
    have no missing pixel (a compact shard records it), so every box is wholly valid and the
    validity integral image is not built.
    """
    bands, height, width = image.shape
    validity = None if complete else SourceValidity(image)
    fraction = (lambda box: 1.0) if complete else validity.fraction
    slots = len(geometries)
    jitters = {'student': student, 'teacher': teacher}
    params: dict[str, np.ndarray] = dict(box=np.empty((slots, 4), np.float32),
                  size=np.asarray([g.transforms[0].size for g in geometries], np.int64),
                  mode=np.asarray([RESAMPLE_MODES.index(g.transforms[0].resample)
                                   for g in geometries], np.int64),
                  flip=np.zeros((slots, 2), bool))
    for name, pipeline in jitters.items():
        params[name] = np.ones((slots, len(pipeline.transforms), 2, bands), np.float32)
        params[name + '_applied'] = np.zeros((slots, len(pipeline.transforms)), bool)
    for slot, geometry in enumerate(geometries):  # draws in the per-sample path's order
        crop, *flip = geometry.transforms
        params['box'][slot] = crop.valid_box(
            (height, width), results, fraction,
            lambda: np.flatnonzero(valid_mask(image).all(axis=0)), cached=False)
        flipped = flip[0].draw_directions() if flip else ()
        params['flip'][slot] = [d in flipped for d in FLIP_DIRECTIONS]
        for name, pipeline in jitters.items():
            _jitter(pipeline, bands, params[name][slot], params[name + '_applied'][slot])
    params['complete'] = np.asarray(complete or validity.complete())
    return params
