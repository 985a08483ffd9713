"""PerA's perfectly aligned student/teacher view pairs: one geometry, two photometric draws."""
from collections.abc import Sequence

import numpy as np
import torch
from mmcv.transforms import BaseTransform, Compose

from eossl.datasets.compact_arrays import decode_array
from eossl.registry import TRANSFORMS

from .view_params import check_batch_photometry, draw_view_params


def _build_pipeline(cfgs: Sequence[dict] | dict | None, key: str) -> Compose:
    """A Compose of ``cfgs`` whose transforms act on ``key`` unless a cfg names its own keys."""
    if cfgs is None:
        cfgs = []
    elif isinstance(cfgs, dict):
        cfgs = [cfgs]
    return Compose([TRANSFORMS.build(dict(dict(keys=(key,)), **cfg)) for cfg in cfgs])


@TRANSFORMS.register_module()
class AlignedMultiViews(BaseTransform):
    """Multi-crop where the student and teacher views of each slot are the same pixels.

    For each of ``num_global`` + ``num_local`` crop slots ONE geometric transform is drawn
    (``crop`` of the slot kind, then ``flip``); its output is copied and sent through the
    ``student_pipeline`` (strong photometry, e.g. p=0.8) and the ``teacher_pipeline`` (weak,
    e.g. p=0.1) independently. Sub-transforms are built from the registry with
    ``keys=(key,)`` unless their cfg sets ``keys``, so the band-safe eossl transforms
    (``EORandomResizedCrop``, ``EORandomFlip``, ``RandomBandBrightnessContrast``,
    ``RandomGaussianBlur``) work for any band count.

    ``results[key]`` (C, H, W) becomes a list of 2 · (num_global + num_local) arrays: the student
    views (globals first, then locals), then the teacher views in the same slot order, so that
    view ``i`` and view ``i + slots`` are a pair. A single list keeps the data preprocessor's
    per-band normalization identical for both branches.

    Args:
        global_crop: cfg of the global-slot crop, e.g. ``dict(type='EORandomResizedCrop',
            size=448, scale=(0.4, 1.0))``.
        local_crop: cfg of the local-slot crop; required when ``num_local > 0``.
        num_global: number of global slots.
        num_local: number of local slots.
        flip: cfg applied after the crop (part of the shared geometry), or ``None``.
        student_pipeline: photometric cfgs applied to the student copy.
        teacher_pipeline: photometric cfgs applied to the teacher copy.
        key: results key of the source image and of the output view list.
        batch_augment: eossl option (default ``False``: every view is cut and jittered here,
            per sample, as the official code does). ``'auto'``: ``True`` when CUDA is
            available where the dataset is built, else ``False`` (the recipes' setting: views
            on the accelerator when there is one, on the CPU otherwise; the draws and the
            arithmetic are the same). ``True``: all random parameters are drawn
            here, per sample and in the same order from the same transforms (so a seeded run
            draws the same values), but nothing is cut: ``results[key]`` stays the source
            (C, H, W) and ``results['aligned_views']`` holds per slot the box, output size,
            resampling mode, flips and the per-branch jitter factors. The data preprocessor
            (``EODataPreprocessor(aligned_views='aligned_views')``) then cuts, flips and
            jitters the whole batch on the accelerator (:mod:`eossl.models.data_preprocessors.
            batch_views`); ``DisjointMaskGenerator`` reads the view sizes from
            ``results[key + '_view_shapes']``. Photometry must be
            ``RandomBandBrightnessContrast``; ``min_valid_fraction`` is judged on the box's
            source pixels (an integral image) instead of the resampled view.

    The source may be float (NaN = missing) or a compact integer array (``LoadPackedBands(
    to_float=False)``; missing = the dtype's extreme value): the batch-wise path leaves it in
    its dtype for the data preprocessor to convert on the device, the per-sample path decodes
    it to float32 first (:mod:`eossl.datasets.compact_arrays`).
    """

    def __init__(self, global_crop: dict, local_crop: dict | None = None, num_global: int = 2,
                 num_local: int = 8, flip: dict | None = None,
                 student_pipeline: Sequence[dict] | None = None,
                 teacher_pipeline: Sequence[dict] | None = None, key: str = 'img',
                 batch_augment: bool | str = False) -> None:
        if num_global < 1 or num_local < 0:
            raise ValueError(f'AlignedMultiViews: need num_global ≥ 1 and num_local ≥ 0, got '
                             f'{num_global}, {num_local}')
        if num_local and local_crop is None:
            raise ValueError('AlignedMultiViews: num_local > 0 needs a local_crop cfg')
        self.key, self.num_global, self.num_local = key, num_global, num_local
        flips = [flip] if flip is not None else []
        self.global_geometry = _build_pipeline([global_crop, *flips], key)
        self.local_geometry = (_build_pipeline([local_crop, *flips], key)
                               if num_local else None)
        self.student_pipeline = _build_pipeline(student_pipeline, key)
        self.teacher_pipeline = _build_pipeline(teacher_pipeline, key)
        if batch_augment not in (True, False, 'auto'):
            raise ValueError(f"AlignedMultiViews: batch_augment must be True, False or 'auto', "
                             f'got {batch_augment!r}')
        if batch_augment == 'auto':
            batch_augment = torch.cuda.is_available()
        self.batch_augment = bool(batch_augment)
        if batch_augment:
            check_batch_photometry([self.student_pipeline, self.teacher_pipeline])

    def _run(self, pipeline: Compose, results: dict, image: np.ndarray) -> np.ndarray:
        """``pipeline`` on a copy of ``results`` whose ``key`` holds ``image``; the new image."""
        out = pipeline({**results, self.key: image})
        if out is None:
            raise RuntimeError(f'AlignedMultiViews: a sub-transform of {pipeline} dropped the '
                               'sample (returned None)')
        return out[self.key]

    def transform(self, results: dict) -> dict:
        """Replace ``results[key]`` (C, H, W) by the paired view list (see the class doc)."""
        image = results[self.key]
        if not isinstance(image, np.ndarray) or image.ndim != 3:
            raise ValueError(f'AlignedMultiViews: results[{self.key!r}] must be one (C, H, W) '
                             f'array, got {getattr(image, "shape", type(image).__name__)}')
        geometries = ([self.global_geometry] * self.num_global
                      + [self.local_geometry] * self.num_local)
        if self.batch_augment:
            results['aligned_views'] = draw_view_params(
                image, geometries, self.student_pipeline, self.teacher_pipeline, results,
                complete=bool(results.get(self.key + '_complete')))
            results[self.key + '_view_shapes'] = [geometry.transforms[0].size
                                                  for geometry in geometries] * 2
            return results
        if image.dtype.kind != 'f':
            image = decode_array(image)
        students, teachers = [], []
        for geometry in geometries:
            view = self._run(geometry, results, image)
            students.append(self._run(self.student_pipeline, results, view.copy()))
            teachers.append(self._run(self.teacher_pipeline, results, view.copy()))
        results[self.key] = students + teachers
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(num_global={self.num_global}, num_local='
                f'{self.num_local}, global_geometry={self.global_geometry}, local_geometry='
                f'{self.local_geometry}, student_pipeline={self.student_pipeline}, '
                f'teacher_pipeline={self.teacher_pipeline}, batch_augment={self.batch_augment})')
