"""SSL4EO-S12 (251k locations × 4 seasons of S1 GRD, S2 L1C, S2 L2A) with SSL4EO-S12-ML labels.

Layout (the official archives, unchanged)::

    <data_root>/{s1,s2c,s2a}/<7-digit location>/<season product id>/<BAND>.tif

one GeoTIFF per band and season at its native size (10 m: 264 px, 20 m: 132 px, 60 m: 44 px;
the loader resamples them onto one grid). SSL4EO-S12-ML labels are one JSON
``{location: {season: ["0", "3", ...]}}`` of Dynamic World class indices (9 classes); an empty
list means the season has no label. A season key is the season folder name (product id), its
0-based index among the location's seasons in date order, or the product id of another modality
(S2 ids for S1 folders), matched by date order.
"""
import json
import logging
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from mmengine.logging import print_log

from eossl.registry import DATASETS

from .bands import band_names, normalize_band_name, resolve_bands
from .base import EODataset, list_subfolders, read_name_list, require_files
from .errors import InvalidSampleError

# folder name -> (modality key in ``paths``, band names of the product)
MODALITIES = {'s1': ('s1', band_names('s1_grd')), 's2c': ('s2', band_names('s2_l1c')),
              's2a': ('s2', band_names('s2_l2a'))}
DYNAMIC_WORLD_CLASSES = ('water', 'trees', 'grass', 'flooded vegetation', 'crops',
                         'shrub and scrub', 'built', 'bare', 'snow and ice')
LOCATION = re.compile(r'^\d{7}$')
TIMESTAMP = re.compile(r'\d{8}T\d{6}')


def by_date(names: Sequence[str]) -> list[str]:
    """Product ids sorted by their first ``YYYYMMDDTHHMMSS`` stamp (then by name).

    Name order is not date order for S1 (``S1A_…`` sorts before ``S1B_…`` of any date).
    """
    def key(name: str) -> tuple[str, str]:
        stamp = TIMESTAMP.search(name)
        return (stamp.group(0) if stamp else '', name)
    return sorted(names, key=key)


@DATASETS.register_module()
class SSL4EOS12(EODataset):
    """SSL4EO-S12 locations of one modality, one season drawn per access (or every season).

    Items: ``sample_id`` (``'0000042'``, or ``'0000042/<season>'`` with ``seasons='all'``),
    ``location``, ``season`` (the product id folder), ``paths = {'s2' | 's1': {band: file}}``
    and, with a labels file, ``gt_label`` (sorted class indices, ``[]`` = unlabeled). The index
    keeps only season folder names, and :meth:`get_data_info` builds the band paths on access,
    so 251k locations fit in memory. ``seasons='random'`` draws the season with ``np.random``
    (seeded per worker by mmengine).

    Args:
        data_root: folder holding ``s1/``, ``s2c/``, ``s2a/``.
        modality: ``'s2c'`` (L1C, 13 bands), ``'s2a'`` (L2A, 12 bands) or ``'s1'`` (VV, VH).
        bands: bands whose files are listed, or a band-set name (default all of the modality).
        seasons: ``'random'`` (one item per location) or ``'all'`` (one per location-season).
        labels_file: SSL4EO-S12-ML JSON (relative to ``data_root`` or absolute); None = no
            labels, every sample kept without ``gt_label``. A location absent from it counts as
            unlabeled (the count is logged); a file that is not valid JSON, maps a location to
            anything but an object, or covers none of the locations on disk is a ValueError
            naming it.
        num_classes: label classes (9 Dynamic World); indices outside are an error.
        label_scope: ``'season'`` (the season's own labels) or ``'location'`` (the union over the
            location's seasons, for every season).
        unlabeled: ``'exclude'`` leaves out seasons without label (and locations left with none);
            ``'keep'`` keeps them with ``gt_label=[]``.
        split_file: list of location ids to use (first column; ``.bz2`` allowed).
        check_files: check that every band file exists while indexing (one listdir per season;
            turn off for the full archive and rely on ``skip_invalid`` at load time).
        **kwargs: :class:`EODataset` arguments (``skip_invalid``, ``pipeline``, ...).
    """

    @classmethod
    def write_fake_data(cls, root: Path, dataset: dict, size: int) -> Path:
        """Write a tiny fake copy of this layout under ``root`` for ``--preset cpu-tiny``
        (4 samples of the recipe's ``modality``, ``size`` px; a labelled recipe leaves out the
        generator's unlabeled location and season) and return the data_root to read."""
        from eossl.testing import make_fake_ssl4eo_s12
        make_fake_ssl4eo_s12(root, num_locations=6 if dataset.get('labels_file') else 4,
                             seasons=2, size=size, modalities=(dataset.get('modality', 's2c'), ))
        return root

    def __init__(self, data_root: str | Path, modality: str = 's2c',
                 bands: Sequence[str] | None = None, seasons: str = 'random',
                 labels_file: str | Path | None = None, num_classes: int = 9,
                 label_scope: str = 'season', unlabeled: str = 'exclude',
                 split_file: str | Path | None = None, check_files: bool = True,
                 **kwargs) -> None:
        if modality not in MODALITIES:
            raise ValueError(f'SSL4EOS12: modality must be one of {list(MODALITIES)}, got '
                             f'{modality!r}')
        if seasons not in ('random', 'all') or label_scope not in ('season', 'location') or \
                unlabeled not in ('exclude', 'keep'):
            raise ValueError(f"SSL4EOS12: seasons must be 'random'/'all', label_scope "
                             f"'season'/'location', unlabeled 'exclude'/'keep'; got {seasons!r}, "
                             f'{label_scope!r}, {unlabeled!r}')
        self.modality, self.seasons, self.labels_file = modality, seasons, labels_file
        self.key, available = MODALITIES[modality]
        self.bands = tuple(normalize_band_name(b) for b in resolve_bands(bands) or ()) or available
        unknown = [b for b in self.bands if b not in available]
        if unknown:
            raise ValueError(f'SSL4EOS12: {modality} has no band(s) {unknown}; bands: {available}')
        self.num_classes, self.label_scope, self.unlabeled = num_classes, label_scope, unlabeled
        self.split_file, self.check_files = split_file, check_files
        metainfo = dict(kwargs.pop('metainfo', None) or {})
        if num_classes == len(DYNAMIC_WORLD_CLASSES):
            metainfo.setdefault('classes', DYNAMIC_WORLD_CLASSES)
        super().__init__(data_root, metainfo=metainfo, **kwargs)

    def load_data_list(self) -> list[dict]:
        """Index locations and their season folders (see the class docstring)."""
        root = self.require_dir(self.modality, f'{self.modality} folder')
        labels = self._read_labels() if self.labels_file is not None else None
        locations = self._locations(root)
        if labels is not None and locations and labels.keys().isdisjoint(locations):
            raise ValueError(f'SSL4EOS12: labels_file {self.resolve(self.labels_file)} has no '
                             f'entry for any of the {len(locations)} locations under {root} '
                             f'(its keys: {sorted(labels)[:3]}, locations: {locations[:3]}); '
                             'expected 7-digit location ids as keys')
        items, unlabeled = [], 0
        for location in locations:
            try:
                seasons = self._seasons(root / location, location)
                season_labels = self._season_labels(location, seasons, labels)
            except InvalidSampleError as err:
                self.reject(location, err)
                continue
            if season_labels is not None and self.unlabeled == 'exclude':
                kept = [i for i, lab in enumerate(season_labels) if lab]
                unlabeled += len(seasons) - len(kept)
                seasons = [seasons[i] for i in kept]
                season_labels = [season_labels[i] for i in kept]
            items += self._items(location, seasons, season_labels)
        if not items:
            raise FileNotFoundError(f'SSL4EOS12: no sample left under {root} ({len(locations)} '
                                    f'locations, {unlabeled} unlabeled seasons excluded, '
                                    f'{len(self.invalid_samples)} invalid)')
        absent = '' if labels is None else \
            f' ({len(set(locations) - labels.keys())} locations absent from the labels_file)'
        print_log(f'SSL4EOS12: {len(items)} samples of {self.modality} from {root}; excluded '
                  f'{unlabeled} unlabeled seasons{absent}, {len(self.invalid_samples)} invalid',
                  logger='current', level=logging.INFO)
        return items

    def _items(self, location: str, seasons: list[str],
               season_labels: list[list[int]] | None) -> list[dict]:
        """One item holding every season (``'random'``) or one item per season (``'all'``)."""
        if not seasons:
            return []
        every = list(range(len(seasons)))
        groups = [[i] for i in every] if self.seasons == 'all' else [every]
        items = []
        for group in groups:
            item: dict[str, Any] = dict(location=location,
                                        seasons=[seasons[i] for i in group])
            item['sample_id'] = location if self.seasons == 'random' else \
                f'{location}/{seasons[group[0]]}'
            if season_labels is not None:
                item['season_labels'] = [season_labels[i] for i in group]
            items.append(item)
        return items

    def get_data_info(self, idx: int) -> dict:
        """The item with one season chosen (random when several) and its band paths."""
        info = super().get_data_info(idx)
        pick = np.random.randint(len(info['seasons'])) if len(info['seasons']) > 1 else 0
        season = info.pop('seasons')[pick]
        folder = Path(self.data_root) / self.modality / info['location'] / season
        info['season'] = season
        info['paths'] = {self.key: {b: str(folder / f'{b}.tif') for b in self.bands}}
        if 'season_labels' in info:
            info['gt_label'] = info.pop('season_labels')[pick]
        return info

    def _locations(self, root: Path) -> list[str]:
        """Location folders under ``root`` (7 digits), restricted to ``split_file``."""
        present = [name for name in list_subfolders(root) if LOCATION.match(name)]
        if self.split_file is None:
            return present
        on_disk, selected = set(present), []
        split_path = self.resolve(self.split_file)
        for line, name in read_name_list(split_path):
            name = f'{int(name):07d}' if name.isdigit() else name
            if name in on_disk:
                selected.append(name)
            else:
                self.reject(name, InvalidSampleError(
                    f'{split_path} line {line}: location {name!r} is not found under {root}'))
        return selected

    def _seasons(self, folder: Path, location: str) -> list[str]:
        """Sorted season folders of a location that hold every band file (when checked)."""
        seasons = by_date(list_subfolders(folder))
        if not seasons:
            raise InvalidSampleError(f'{folder}: location {location} has no season folder')
        kept = []
        for season in seasons:
            try:
                if self.check_files:
                    require_files(folder / season, [f'{b}.tif' for b in self.bands])
                kept.append(season)
            except InvalidSampleError as err:
                self.reject(f'{location}/{season}', err)
        if not kept:
            raise InvalidSampleError(f'{folder}: no season of location {location} is complete')
        return kept

    def _read_labels(self) -> dict[str, dict]:
        """The labels JSON with location keys as 7-digit strings, checked to be nested dicts."""
        path = self.resolve(self.labels_file)
        try:
            with open(path, encoding='utf-8') as f:
                raw = json.load(f)
        except OSError as err:
            raise FileNotFoundError(f'SSL4EOS12: cannot read labels_file {path} ({err})') from err
        except ValueError as err:
            raise ValueError(f'SSL4EOS12: labels_file {path} is not valid JSON ({err})') from err
        if not isinstance(raw, dict):
            raise ValueError(f'SSL4EOS12: {path} must map location -> {{season: [class, ...]}}, '
                             f'got a JSON {type(raw).__name__}')
        bad = [k for k, v in raw.items() if not isinstance(v, dict)]
        if bad:
            raise ValueError(f'SSL4EOS12: {path}: location {bad[0]!r} maps to a JSON '
                             f'{type(raw[bad[0]]).__name__} ({len(bad)} such location(s)); '
                             'expected {season: [class, ...]}')
        return {f'{int(k):07d}' if str(k).isdigit() else str(k): v for k, v in raw.items()}

    def _season_labels(self, location: str, seasons: list[str],
                       labels: dict[str, dict] | None) -> list[list[int]] | None:
        """Class indices of each season (``[]`` = unlabeled); None without a labels file."""
        if labels is None:
            return None
        entry = labels.get(location, {})
        if all(k in seasons for k in entry):
            keys = seasons
        elif all(k in map(str, range(len(seasons))) for k in entry):
            keys = [str(i) for i in range(len(seasons))]
        elif len(entry) == len(seasons):
            keys = by_date(list(entry))
        else:
            raise InvalidSampleError(f'{self.resolve(self.labels_file)}: location {location} has '
                                     f'season keys {sorted(entry)}, expected its season folders '
                                     f'{seasons}, indices 0..{len(seasons) - 1} or one product '
                                     'id of another modality per season')
        per_season = [self._classes(entry.get(k, []), location, s) for k, s in zip(keys, seasons)]
        if self.label_scope == 'location':
            union = sorted(set().union(*per_season))
            per_season = [union] * len(seasons)
        return per_season

    def _classes(self, values: object, location: str, season: str) -> list[int]:
        """Sorted unique class indices of one season's label list, validated."""
        try:
            classes = sorted({int(v) for v in values}) if isinstance(values, list) else None
        except (TypeError, ValueError):
            classes = None
        if classes is None or any(not 0 <= c < self.num_classes for c in classes):
            raise InvalidSampleError(f'{self.resolve(self.labels_file)}: location {location} '
                                     f'season {season} has labels {values!r}, expected a list of '
                                     f'class indices in [0, {self.num_classes})')
        return classes
