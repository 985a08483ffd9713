"""BigEarthNet v1.0 (Sentinel-2 L2A patches, optionally paired with their Sentinel-1 twins).

Layout (the official archives, unchanged)::

    <s2_root>/<S2 patch>/<S2 patch>_B01.tif ... _B12.tif, _B8A.tif, _labels_metadata.json
    <s1_root>/<S1 patch>/<S1 patch>_VV.tif, _VH.tif, _labels_metadata.json

The S1 JSON's ``corresponding_s2_patch`` is the only link between the trees. Patch names are
opaque strings (real ones sometimes drop a leading zero in the time), so nothing is parsed out of
them. The official splits and the cloudy/snowy lists ship inside the ``bigearthnet_common``
package, as do the 43 CORINE class names and their mapping onto the 19-class nomenclature.
"""
import bz2
import functools
import json
import logging
import os
from collections.abc import Sequence
from pathlib import Path

import bigearthnet_common
from bigearthnet_common.constants import (
    NEW_LABELS_ORIGINAL_ORDER,
    OLD2NEW_LABELS_DICT,
    OLD_LABELS_ORIGINAL_ORDER,
)
from mmengine.logging import print_log

from eossl.registry import DATASETS

from .bands import band_names
from .base import EODataset, list_subfolders, read_name_list, require_files
from .bigearthnet_layout import version_hint
from .errors import InvalidSampleError

S2_BANDS = band_names('s2_l2a')
S1_BANDS = band_names('s1_grd')
# canonical band name -> the token BigEarthNet puts in the file name (``<patch>_B01.tif``)
FILE_TOKENS = dict(zip(S2_BANDS + S1_BANDS, ('B01', 'B02', 'B03', 'B04', 'B05', 'B06', 'B07',
                                             'B08', 'B8A', 'B09', 'B11', 'B12', 'VV', 'VH')))
CLASSES_43 = tuple(OLD_LABELS_ORIGINAL_ORDER)
CLASSES_19 = tuple(NEW_LABELS_ORIGINAL_ORDER)
# 43-class CORINE name -> index in the chosen nomenclature (absent: no 19-class counterpart)
LABEL_INDEX = {
    43: {name: i for i, name in enumerate(CLASSES_43)},
    19: {old: CLASSES_19.index(new) for old, new in OLD2NEW_LABELS_DICT.items() if new},
}
PACKAGE_DIR = Path(bigearthnet_common.__file__).parent
OFFICIAL_SPLITS = {'train': 'train.csv.bz2', 'val': 'val.csv.bz2', 'test': 'test.csv.bz2'}
EXCLUSION_LISTS = ('patches_with_cloud_and_shadow.csv.bz2', 'patches_with_seasonal_snow.csv.bz2')
# S1 patch name and label names of the S1 twin of an S2 patch
S1Twin = tuple[str, list]


@functools.cache
def official_names(file_name: str) -> frozenset[str]:
    """The S2 patch names of one of the lists shipped in ``bigearthnet_common``.

    These are package data (one name per line, bz2) read once per process: the train list
    alone holds 270k names.
    """
    return frozenset(bz2.decompress((PACKAGE_DIR / file_name).read_bytes()).decode().split())


def read_labels_json(path: Path) -> dict:
    """The content of a ``_labels_metadata.json``; InvalidSampleError naming it if unreadable."""
    try:
        with open(path, encoding='utf-8') as f:
            meta = json.load(f)
    except (OSError, ValueError) as err:
        raise InvalidSampleError(f'{path}: cannot read the labels JSON ({err})') from err
    labels = meta.get('labels') if isinstance(meta, dict) else None
    if not isinstance(labels, list) or not all(isinstance(name, str) for name in labels):
        raise InvalidSampleError(f'{path}: expected a JSON object with a "labels" list of '
                                 'CORINE class names')
    return meta


def band_paths(folder: Path, patch: str, bands: Sequence[str],
               also: Sequence[str] = ()) -> dict[str, str]:
    """``{canonical band name: path}`` of a patch's single-band files, once they and the
    ``also`` files are known to exist (one listdir; plain strings, as pathlib would dominate the
    indexing time of the 590k-patch archive)."""
    names = {band: f'{patch}_{FILE_TOKENS[band]}.tif' for band in bands}
    require_files(folder, [*names.values(), *also])
    prefix = os.path.join(folder, '')
    return {band: prefix + name for band, name in names.items()}


@DATASETS.register_module()
class BigEarthNet(EODataset):
    """BigEarthNet v1.0 multi-label patches, S2 and/or S1, with the official splits.

    Items: ``sample_id`` (the S2 patch name), ``paths`` = ``{'s2': {band: path}}`` for the 12
    S2 bands (canonical names ``'B1'`` … ``'B12'`` of :mod:`eossl.datasets.bands`; the files are
    ``_B01.tif`` …) and/or ``{'s1': {'VV': path, 'VH': path}}``, ``gt_label`` (sorted indices in
    the chosen nomenclature) and, when S1 is used, ``s1_patch``. Indexing reads one JSON per
    patch and lists each patch folder once; no TIFF is opened.

    Args:
        data_root: folder holding the two trees.
        s2_root, s1_root: the S2 / S1 trees, relative to ``data_root`` or absolute (only the
            trees of the selected modalities need to exist).
        modalities: ``('s2',)``, ``('s1',)`` or ``('s1', 's2')``.
        split: None (every patch under the roots), or ``'train'``, ``'val'``, ``'test'``: the
            official split, restricted to the patches present on disk.
        split_file: your own CSV of S2 patch names (first column; ``.bz2`` allowed) instead of
            ``split``; every name must be present on disk.
        num_classes: 19 (the recommended nomenclature) or 43 (the original CORINE classes).
        exclude_cloudy_snowy: leave out the officially listed cloudy/shadowed and seasonal-snow
            patches (before any of their files is checked).
        keep_unlabeled: keep patches with no label in the nomenclature (``gt_label=[]``); by
            default they are left out, as the official 19-class recipe does.
        **kwargs: :class:`EODataset` arguments (``skip_invalid``, ``pipeline``, ...).

    Raises (at ``full_init``): FileNotFoundError for a missing tree or when no patch is left;
    :class:`InvalidSampleError` naming the file for a missing band, S1 twin or S2 counterpart,
    an unreadable JSON, an unknown CORINE name, or a split-file name not on disk (recorded
    instead when ``skip_invalid``).
    """

    @classmethod
    def write_fake_data(cls, root: Path, dataset: dict, size: int) -> Path:
        """Write a tiny fake BigEarthNet (4 patches of ``size`` px, S1 too when the recipe reads
        it, in the recipe's tree names) under ``root`` for ``--preset cpu-tiny`` and return the
        data_root to read."""
        from eossl.testing import make_fake_bigearthnet
        modalities = dataset.get('modalities', ('s2', ))
        make_fake_bigearthnet(root, num_patches=4, size=size,
                              s2_dir=dataset.get('s2_root', 'BigEarthNet-v1.0'),
                              s1_dir=dataset.get('s1_root', 'BigEarthNet-S1-v1.0')
                              if 's1' in modalities else None)
        return root

    def __init__(self,
                 data_root: str | Path,
                 s2_root: str | Path = 'BigEarthNet-v1.0',
                 s1_root: str | Path = 'BigEarthNet-S1-v1.0',
                 modalities: Sequence[str] = ('s2',),
                 split: str | None = None,
                 split_file: str | Path | None = None,
                 num_classes: int = 19,
                 exclude_cloudy_snowy: bool = True,
                 keep_unlabeled: bool = False,
                 **kwargs) -> None:
        if not modalities or not set(modalities) <= {'s1', 's2'}:
            raise ValueError(f"BigEarthNet: modalities must be ('s2',), ('s1',) or ('s1', 's2'), "
                             f'got {modalities!r}')
        if split is not None and split not in OFFICIAL_SPLITS:
            raise ValueError(f'BigEarthNet: split must be None or one of {list(OFFICIAL_SPLITS)}, '
                             f'got {split!r}')
        if split is not None and split_file is not None:
            raise ValueError('BigEarthNet: give either split or split_file, not both')
        if num_classes not in LABEL_INDEX:
            raise ValueError(f'BigEarthNet: num_classes must be 19 or 43, got {num_classes!r}')
        self.s2_root = s2_root
        self.s1_root = s1_root
        self.modalities = tuple(sorted(set(modalities)))
        self.split = split
        self.split_file = split_file
        self.num_classes = num_classes
        self.exclude_cloudy_snowy = exclude_cloudy_snowy
        self.keep_unlabeled = keep_unlabeled
        classes = CLASSES_19 if num_classes == 19 else CLASSES_43
        metainfo = dict(kwargs.pop('metainfo', None) or {}, classes=classes)
        super().__init__(data_root, metainfo=metainfo, **kwargs)

    def load_data_list(self) -> list[dict]:
        """Index the patches of the selected split and modalities (see the class docstring)."""
        s2_dir = self.require_dir(self.s2_root, 'S2 tree (s2_root)') if 's2' in self.modalities \
            else None
        s1_dir = self.require_dir(self.s1_root, 'S1 tree (s1_root)') if 's1' in self.modalities \
            else None
        twins = self._read_s1_twins(s1_dir) if s1_dir else {}
        present = set(list_subfolders(s2_dir) if s2_dir else []) | set(twins)
        candidates = self._select(present, s2_dir, s1_dir)
        excluded = set().union(*map(official_names, EXCLUSION_LISTS)) \
            if self.exclude_cloudy_snowy else set()
        kept = [name for name in candidates if name not in excluded]
        items, unlabeled = [], 0
        for name in kept:
            try:
                item = self._make_item(name, s2_dir, s1_dir, twins.get(name))
            except InvalidSampleError as err:
                self.reject(name, err)
                continue
            if item['gt_label'] or self.keep_unlabeled:
                items.append(item)
            else:
                unlabeled += 1
        where = ' and '.join(str(d) for d in (s2_dir, s1_dir) if d)
        selection = self.split or self.split_file or 'every patch'
        left_out = (f'{len(candidates)} selected; left out {len(candidates) - len(kept)} '
                    f'cloudy/snowy, {unlabeled} without a {self.num_classes}-class label, '
                    f'{len(self.invalid_samples)} invalid')
        if not items:
            raise FileNotFoundError(f'BigEarthNet: no patch left under {where} '
                                    f'(split: {selection}; {left_out})')
        print_log(f'BigEarthNet: {len(items)} patches from {where} (split: {selection}; '
                  f'{left_out})', logger='current', level=logging.INFO)
        return items

    def require_dir(self, path: str | Path, what: str) -> Path:
        """:meth:`EODataset.require_dir`, saying so when ``data_root`` holds BigEarthNet v2."""
        try:
            return super().require_dir(path, what)
        except FileNotFoundError as err:
            raise FileNotFoundError(f'{err}{version_hint(self.data_root, "v1")}') from err

    def _read_s1_twins(self, s1_dir: Path) -> dict[str, S1Twin]:
        """S2 patch name -> its S1 twin, from the ``corresponding_s2_patch`` of every S1 JSON."""
        twins: dict[str, S1Twin] = {}
        for s1_name in list_subfolders(s1_dir):
            path = s1_dir / s1_name / f'{s1_name}_labels_metadata.json'
            try:
                meta = read_labels_json(path)
                s2_name = meta.get('corresponding_s2_patch')
                if not isinstance(s2_name, str) or not s2_name:
                    raise InvalidSampleError(f'{path}: no "corresponding_s2_patch" name')
                if s2_name in twins:
                    raise InvalidSampleError(f'{path}: corresponding_s2_patch {s2_name} is also '
                                             f'claimed by S1 patch {twins[s2_name][0]}')
            except InvalidSampleError as err:
                self.reject(s1_name, err)
                continue
            twins[s2_name] = (s1_name, meta['labels'])
        return twins

    def _select(self, present: set[str], s2_dir: Path | None, s1_dir: Path | None) -> list[str]:
        """The S2 patch names the split asks for, in a deterministic order."""
        if self.split is not None:
            return sorted(present & official_names(OFFICIAL_SPLITS[self.split]))
        if self.split_file is None:
            return sorted(present)
        split_path = self.resolve(self.split_file)
        selected: dict[str, None] = {}
        for line, name in read_name_list(split_path):
            if name in present:
                selected[name] = None
            else:
                where = ' nor '.join(str(d) for d in (s2_dir, s1_dir) if d)
                self.reject(name, InvalidSampleError(
                    f'{split_path} line {line}: patch {name!r} is not found under {where}'))
        return list(selected)

    def _make_item(self, name: str, s2_dir: Path | None, s1_dir: Path | None,
                   twin: S1Twin | None) -> dict:
        """The item of S2 patch ``name``, checking that every file it points at exists."""
        paths: dict[str, dict[str, str]] = {}
        item: dict = {'sample_id': name, 'paths': paths}
        labels_from = None
        if s1_dir is not None:
            if twin is None:
                raise InvalidSampleError(f'{name}: no S1 patch under {s1_dir} names it as '
                                         'corresponding_s2_patch (missing S1 twin)')
            s1_name, labels = twin
            folder = s1_dir / s1_name
            paths['s1'] = band_paths(folder, s1_name, S1_BANDS)
            item['s1_patch'] = s1_name
            labels_from = (folder / f'{s1_name}_labels_metadata.json', labels)
        if s2_dir is not None:
            folder = s2_dir / name
            if twin is not None and not folder.is_dir():
                raise InvalidSampleError(
                    f'{folder} is missing although S1 patch {twin[0]} names {name} as its '
                    'corresponding_s2_patch (mismatching pair)')
            json_path = folder / f'{name}_labels_metadata.json'
            paths['s2'] = band_paths(folder, name, S2_BANDS, also=[json_path.name])
            labels_from = (json_path, read_labels_json(json_path)['labels'])
        item['gt_label'] = self._label_indices(*labels_from)
        return item

    def _label_indices(self, json_path: Path, names: list) -> list[int]:
        """Sorted class indices of the CORINE names listed in ``json_path``."""
        unknown = [name for name in names if name not in LABEL_INDEX[43]]
        if unknown:
            raise InvalidSampleError(f'{json_path}: unknown CORINE label(s) {unknown}; expected '
                                     'names of the 43-class BigEarthNet nomenclature')
        index = LABEL_INDEX[self.num_classes]
        return sorted({index[name] for name in names if name in index})
