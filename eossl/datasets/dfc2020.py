"""DFC2020 (IEEE GRSS Data Fusion Contest 2020): S1/S2 patches with land-cover maps (8 classes).

Layout (the official release, SEN12MS-style names)::

    <data_root>/ROIs0000_validation/s1_0/ROIs0000_validation_s1_0_p<n>.tif   (VV, VH; dB)
                                   /s2_0/ROIs0000_validation_s2_0_p<n>.tif   (13 L1C bands)
                                   /lc_0/ROIs0000_validation_lc_0_p<n>.tif   (4 MODIS maps)
                                   /dfc_0/ROIs0000_validation_dfc_0_p<n>.tif (1 band, 1 … 10)
    <data_root>/ROIs0000_test/...                                            (same, 'test')

The 986 validation patches are what downstream recipes train on, the 5,128 test patches what
they evaluate on (the contest's labelled train set was the low-resolution SEN12MS).
"""
import logging
import os
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import rasterio
from mmengine.logging import print_log

from eossl.registry import DATASETS

from .bands import band_names
from .base import EODataset, require_files
from .errors import InvalidSampleError
from .land_cover import (
    DFC2020_CLASSES,
    IGNORE_INDEX,
    LABEL_MAPS,
    SCENE_LABEL_MODES,
    remap_labels,
    scene_labels,
)

SPLITS = ('validation', 'test')
BANDS = {
    's1': band_names('s1_grd'),
    's2': band_names('s2_l1c'),
    'lc': ('IGBP', 'LCCS-LC', 'LCCS-LU', 'LCCS-SH'),
    'dfc': ('DFC', ),
}
PATCH_RE = re.compile(r'ROIs0000_(validation|test)_(s1|s2|lc|dfc)_0_p(\d+)\.tif')


def patch_file(root: Path, split: str, modality: str, patch: int) -> Path:
    """The file of one modality of patch ``p<patch>`` in the official layout."""
    return root / f'ROIs0000_{split}' / f'{modality}_0' / \
        f'ROIs0000_{split}_{modality}_0_p{patch}.tif'


@DATASETS.register_module()
class DFC2020(EODataset):
    """DFC2020 patches, for segmentation (``dfc`` maps) or scene classification.

    Items: ``sample_id`` (``ROIs0000_test_p42``), ``paths`` = ``{modality: file}``, ``bands`` =
    ``{modality: band names in file order}``, ``split``, ``patch``; with ``scene_labels`` also
    ``gt_label``, derived from the ``dfc`` map while indexing (one read per patch):

    - ``'single'``: the majority class;
    - ``'multi'``: every class covering at least ``min_class_fraction`` of the labelled pixels.

    Args:
        data_root: the folder holding ``ROIs0000_validation`` / ``ROIs0000_test``.
        split: ``'validation'`` or ``'test'``.
        modalities: subset of ``('s1', 's2', 'lc', 'dfc')`` put in ``paths``; a patch is kept
            only when all of them (and ``dfc`` when ``scene_labels`` is set) are on disk.
        scene_labels: None (segmentation: labels come from the ``dfc`` map in the pipeline),
            ``'single'`` or ``'multi'``.
        min_class_fraction: threshold of ``'multi'`` (0.1 = 10 % of the labelled pixels).
        **kwargs: :class:`EODataset` arguments (``skip_invalid``, ``label_fraction``, ...).

    ``metainfo['classes']`` is :data:`~eossl.datasets.land_cover.DFC2020_CLASSES` (the 8 classes
    that occur; Savanna and Snow/Ice pixels count as unlabelled).
    """

    def __init__(self,
                 data_root: str | Path,
                 split: str = 'validation',
                 modalities: Sequence[str] = ('s2', ),
                 scene_labels: str | None = None,
                 min_class_fraction: float = 0.1,
                 **kwargs) -> None:
        if split not in SPLITS:
            raise ValueError(f'DFC2020: split must be one of {SPLITS}, got {split!r}')
        if isinstance(modalities, str) or not modalities or not set(modalities) <= set(BANDS):
            raise ValueError(f'DFC2020: modalities must be a non-empty subset of '
                             f'{tuple(BANDS)}, got {modalities!r}')
        if scene_labels is not None and scene_labels not in SCENE_LABEL_MODES:
            raise ValueError(f'DFC2020: scene_labels must be None or one of '
                             f'{SCENE_LABEL_MODES}, got {scene_labels!r}')
        if not 0 < min_class_fraction <= 1:
            raise ValueError(f'DFC2020: min_class_fraction must be in (0, 1], got '
                             f'{min_class_fraction!r}')
        self.split = split
        self.modalities = tuple(m for m in BANDS if m in modalities)
        self.scene_labels = scene_labels
        self.min_class_fraction = min_class_fraction
        metainfo = dict(kwargs.pop('metainfo', None) or {}, classes=DFC2020_CLASSES)
        super().__init__(data_root, metainfo=metainfo, **kwargs)

    def load_data_list(self) -> list[dict]:
        """Index the split's patches (see the class docstring)."""
        split_name = f'ROIs0000_{self.split}'
        split_dir = self.require_dir(split_name, f'DFC2020 {self.split} split')
        needed = self.modalities + (('dfc', ) if self.scene_labels and
                                    'dfc' not in self.modalities else ())
        patches: set[int] = set()  # on disk for any modality, so a missing file is reported
        for mod in needed:  # relative to data_root, like every path given to require_dir
            folder = self.require_dir(Path(split_name, f'{mod}_0'), f'{mod} folder')
            patches.update(int(m[3]) for m in map(PATCH_RE.fullmatch, os.listdir(folder))
                           if m and m[1] == self.split and m[2] == mod)
        root = Path(self.data_root)
        items = []
        for patch in sorted(patches):
            sample_id = f'ROIs0000_{self.split}_p{patch}'
            files = {mod: patch_file(root, self.split, mod, patch) for mod in needed}
            try:
                for file in files.values():
                    require_files(file.parent, [file.name])
                item = {'sample_id': sample_id, 'split': self.split, 'patch': patch,
                        'paths': {mod: str(files[mod]) for mod in self.modalities},
                        'bands': {mod: BANDS[mod] for mod in self.modalities}}
                if self.scene_labels:
                    item['gt_label'] = self._scene_labels(files['dfc'])
            except InvalidSampleError as err:
                self.reject(sample_id, err)
                continue
            items.append(item)
        if not items:
            raise FileNotFoundError(f'DFC2020: no {self.split} patch with modalities {needed} '
                                    f'under {split_dir} ({len(self.invalid_samples)} invalid)')
        print_log(f'DFC2020: {len(items)} {self.split} patches from {split_dir}',
                  logger='current', level=logging.INFO)
        return items

    def _scene_labels(self, path: Path) -> list[int]:
        """Scene labels of one ``dfc`` map file."""
        try:
            with rasterio.open(path) as src:
                raw = src.read(1).astype(np.float64)
        except rasterio.errors.RasterioError as err:
            raise InvalidSampleError(f'{path}: unreadable label map ({err})') from err
        classes = remap_labels(raw, LABEL_MAPS['dfc2020'])
        return scene_labels(classes, len(DFC2020_CLASSES), self.scene_labels,
                            self.min_class_fraction, IGNORE_INDEX, source=str(path))
