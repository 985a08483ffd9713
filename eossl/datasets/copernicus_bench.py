"""Copernicus-Bench level-2 tasks in their published folders (``zhu-xlab/Copernicus-FM``).

Each task ships as one zip per sensor pair from the Copernicus-Bench Hugging Face dataset
(``wangyi111/Copernicus-Bench``, folders ``l2_eurosat_s1s2``, ``l2_bigearthnet_s1s2``,
``l2_dfc2020_s1s2``); eossl reads the unzipped folders and never downloads. Layouts, as the
benchmark's own readers (``Copernicus-Bench/src/datasets/cobench_*_wrapper.py``) use them:

- **EuroSAT-S1 / -S2** (``data_root`` = ``eurosat_s1`` or ``eurosat_s2``):
  ``eurosat-{train,val,test}.txt`` list ``<Class>_<n>.jpg`` names; the image is
  ``all_imgs/<Class>/<Class>_<n>.tif`` (S2: 13 bands ``B1 … B12, B8A``, EuroSAT's order; S1:
  ``VV, VH``). Splits 16200 / 5400 / 5400, 64 px, 10 classes.
- **BigEarthNet-S1 / -S2** (v2, ``data_root`` = ``bigearthnet_s1s2``):
  ``multilabel-{train,val,test}.csv`` with columns ``s1_path, s2_path`` and one 0/1 column per
  class (19, their header gives the names); images under ``BigEarthNet-S1-5%/<s1_path>`` (VV, VH)
  or ``BigEarthNet-S2-5%/<s2_path>`` (12 L2A bands ``B1 … B8, B8A, B9, B11, B12``).
  11894 / 6117 / 5991, 120 px.
- **DFC2020-S1 / -S2** (``data_root`` = ``dfc2020_s1s2``): ``dfc-{train,val,test}-new.csv`` list
  label file names; the label is ``dfc/<name>``, the image ``<s1|s2>/<name with 'dfc' replaced by
  the sensor>`` (S2: 13 L1C bands ``B1 … B8, B8A, B9, B10, B11, B12``). Label values go through
  the ``'dfc2020'`` map (8 classes; 0, 3, 8 ignored). 3156 / 986 / 986, 256 px.
"""
import csv
import logging
from pathlib import Path

from mmengine.logging import print_log

from eossl.registry import DATASETS

from .bands import band_names, stored_band_order
from .base import EODataset, read_name_list
from .errors import InvalidSampleError
from .eurosat import EUROSAT_CLASSES
from .land_cover import DFC2020_CLASSES

S1_BANDS = ('VV', 'VH')
SPLITS = ('train', 'val', 'test')
MODALITIES = ('s1', 's2')


def _check(name: str, split: str, modality: str) -> None:
    if split not in SPLITS:
        raise ValueError(f'{name}: split must be one of {SPLITS}, got {split!r}')
    if modality not in MODALITIES:
        raise ValueError(f'{name}: modality must be one of {MODALITIES}, got {modality!r}')


def _indexed(dataset: EODataset, items: list[dict], where: Path) -> list[dict]:
    if not items:
        raise FileNotFoundError(f'{type(dataset).__name__}: no {dataset.split} sample under '
                                f'{where} ({len(dataset.invalid_samples)} invalid)')
    print_log(f'{type(dataset).__name__}: {len(items)} {dataset.split} samples from {where}',
              logger='current', level=logging.INFO)
    return items


@DATASETS.register_module()
class CopernicusBenchEuroSAT(EODataset):
    """EuroSAT-S1 / EuroSAT-S2 of Copernicus-Bench (single-label, 10 classes); see the module.

    Args:
        data_root: the unzipped ``eurosat_s1`` or ``eurosat_s2`` folder.
        split: ``'train'``, ``'val'`` or ``'test'``.
        modality: ``'s1'`` or ``'s2'``: the sensor of the folder.
        **kwargs: :class:`~eossl.datasets.EODataset` options.
    """

    def __init__(self, data_root: str | Path, split: str = 'train', modality: str = 's2',
                 **kwargs) -> None:
        _check(type(self).__name__, split, modality)
        self.split, self.modality = split, modality
        metainfo = dict(kwargs.pop('metainfo', None) or {}, classes=EUROSAT_CLASSES)
        super().__init__(data_root, metainfo=metainfo, **kwargs)

    def load_data_list(self) -> list[dict]:
        """One item per name of ``eurosat-<split>.txt`` whose ``.tif`` exists."""
        bands = S1_BANDS if self.modality == 's1' else stored_band_order('eurosat', 's2_l1c')
        folder = self.require_dir('all_imgs', 'image folder')
        items = []
        for line, name in read_name_list(self.resolve(f'eurosat-{self.split}.txt')):
            stem = Path(name).stem
            cls = stem.split('_')[0]
            path = folder / cls / f'{stem}.tif'
            try:
                if cls not in EUROSAT_CLASSES:
                    raise InvalidSampleError(f'eurosat-{self.split}.txt line {line}: {name!r} '
                                             f'does not start with a class of {EUROSAT_CLASSES}')
                if not path.is_file():
                    raise InvalidSampleError(f'{path} is missing (eurosat-{self.split}.txt '
                                             f'line {line})')
            except InvalidSampleError as err:
                self.reject(stem, err)
                continue
            items.append({'sample_id': stem, 'paths': {self.modality: str(path)},
                          'bands': {self.modality: bands},
                          'gt_label': [EUROSAT_CLASSES.index(cls)]})
        return _indexed(self, items, folder)


@DATASETS.register_module()
class CopernicusBenchBigEarthNet(EODataset):
    """BigEarthNet-S1 / -S2 (v2) of Copernicus-Bench (multi-label, 19 classes); see the module.

    Args:
        data_root: the unzipped ``bigearthnet_s1s2`` folder.
        split: ``'train'``, ``'val'`` or ``'test'``.
        modality: ``'s1'`` or ``'s2'``.
        **kwargs: :class:`~eossl.datasets.EODataset` options.
    """

    def __init__(self, data_root: str | Path, split: str = 'train', modality: str = 's2',
                 **kwargs) -> None:
        _check(type(self).__name__, split, modality)
        self.split, self.modality = split, modality
        classes = kwargs.pop('metainfo', None)
        super().__init__(data_root, metainfo=classes, **kwargs)

    def load_data_list(self) -> list[dict]:
        """One item per row of ``multilabel-<split>.csv``; class names from its header."""
        csv_path = self.resolve(f'multilabel-{self.split}.csv')
        if not csv_path.is_file():
            raise FileNotFoundError(f'{type(self).__name__}: split file {csv_path} does not exist')
        with open(csv_path, newline='', encoding='utf-8') as f:
            rows = list(csv.reader(f))
        header = rows[0] if rows else []
        if header[:2] != ['s1_path', 's2_path'] or len(header) < 3:
            raise ValueError(f'{csv_path}: expected the header s1_path,s2_path,<class names…>, '
                             f'got {header}')
        self._metainfo['classes'] = tuple(header[2:])
        column = 0 if self.modality == 's1' else 1
        folder = self.require_dir(f'BigEarthNet-{self.modality.upper()}-5%', 'image folder')
        bands = S1_BANDS if self.modality == 's1' else band_names('s2_l2a')
        items = []
        for line, row in enumerate(rows[1:], start=2):
            path = folder / row[column]
            try:
                if len(row) != len(header):
                    raise InvalidSampleError(f'{csv_path} line {line}: {len(row)} fields, the '
                                             f'header has {len(header)}')
                if not path.is_file():
                    raise InvalidSampleError(f'{path} is missing ({csv_path.name} line {line})')
                labels = [i for i, v in enumerate(row[2:]) if float(v) > 0]
            except (InvalidSampleError, ValueError) as err:
                self.reject(Path(row[column]).stem if row else str(line),
                            InvalidSampleError(str(err)))
                continue
            items.append({'sample_id': path.stem, 'paths': {self.modality: str(path)},
                          'bands': {self.modality: bands}, 'gt_label': labels})
        return _indexed(self, items, folder)


@DATASETS.register_module()
class CopernicusBenchDFC2020(EODataset):
    """DFC2020-S1 / -S2 of Copernicus-Bench (segmentation, 8 classes); see the module.

    Items carry ``paths['dfc']`` (the label map, read with ``LoadLandCoverMap('dfc',
    label_map='dfc2020')``) beside the image.

    Args:
        data_root: the unzipped ``dfc2020_s1s2`` folder.
        split: ``'train'``, ``'val'`` or ``'test'``.
        modality: ``'s1'`` or ``'s2'``.
        **kwargs: :class:`~eossl.datasets.EODataset` options.
    """

    def __init__(self, data_root: str | Path, split: str = 'train', modality: str = 's2',
                 **kwargs) -> None:
        _check(type(self).__name__, split, modality)
        self.split, self.modality = split, modality
        metainfo = dict(kwargs.pop('metainfo', None) or {}, classes=DFC2020_CLASSES)
        super().__init__(data_root, metainfo=metainfo, **kwargs)

    def load_data_list(self) -> list[dict]:
        """One item per name of ``dfc-<split>-new.csv`` with both its image and label."""
        image_dir = self.require_dir(self.modality, 'image folder')
        label_dir = self.require_dir('dfc', 'label folder')
        bands = S1_BANDS if self.modality == 's1' else band_names('s2_l1c')
        items = []
        for line, name in read_name_list(self.resolve(f'dfc-{self.split}-new.csv')):
            image = image_dir / name.replace('dfc', self.modality)
            label = label_dir / name
            try:
                for path in (image, label):
                    if not path.is_file():
                        raise InvalidSampleError(f'{path} is missing (dfc-{self.split}-new.csv '
                                                 f'line {line})')
            except InvalidSampleError as err:
                self.reject(Path(name).stem, err)
                continue
            items.append({'sample_id': Path(name).stem,
                          'paths': {self.modality: str(image), 'dfc': str(label)},
                          'bands': {self.modality: bands}})
        return _indexed(self, items, image_dir)
