"""SSL4EO-S12 locations with several co-located modalities (S1 GRD + S2 L1C), seasons per view.

Same on-disk layout as :class:`~eossl.datasets.ssl4eo_s12.SSL4EOS12`
(``<data_root>/{s1,s2c,s2a}/<location>/<season product id>/<BAND>.tif``); a location is kept when
every requested modality has at least one complete season of it. Multimodal methods (DeCUR)
read two views of each modality; the official DeCUR loader (``TwoCropsTransform_SSL4EO(season=
'augment')``) draws the season of every view of every modality independently.
"""
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from mmengine.logging import print_log

from eossl.registry import DATASETS

from .bands import normalize_band_name, resolve_bands
from .base import EODataset, list_subfolders, read_name_list, require_files
from .errors import InvalidSampleError
from .ssl4eo_s12 import LOCATION, MODALITIES, by_date

SEASON_DRAWS = ('per_view', 'per_modality', 'shared')


@DATASETS.register_module()
class SSL4EOS12Pairs(EODataset):
    """Co-located SSL4EO-S12 modalities with ``num_views`` season draws per modality.

    Items: ``sample_id`` (the location), ``location``, ``seasons`` (``{path key: product id}``)
    and ``paths``: ``{key: {band: file}}`` for view 0 and ``{'<key>/<v>': {band: file}}`` for
    view ``v ≥ 1``, with ``key`` ``'s1'`` or ``'s2'`` — what ``LoadPairedModalities`` reads
    (``modalities={'s1': ..., 's2': ..., 's1/1': ..., 's2/1': ...}``) and ``ModalityViews``
    hands to each view.

    Args:
        data_root: folder holding ``s1/``, ``s2c/``, ``s2a/``.
        modalities: ``{folder: bands}`` with folder ``'s1'``, ``'s2c'`` or ``'s2a'`` (at most one
            S2 product) and ``bands`` the band names read (``None``: all of the product).
        num_views: views per modality.
        season_draw: ``'per_view'`` (official DeCUR ``season='augment'``: every view of every
            modality draws its own season), ``'per_modality'`` (the views of one modality share
            a season) or ``'shared'`` (S1 and S2 of the same date index, as far as both have it).
        split_file: list of location ids to use (first column; ``.bz2`` allowed); an id absent
            from a modality is an invalid sample.
        check_files: check that every band file exists while indexing.
        **kwargs: :class:`EODataset` arguments (``skip_invalid``, ``pipeline``, ...).
    """

    def __init__(self, data_root: str | Path,
                 modalities: Mapping[str, Sequence[str] | None] | None = None,
                 num_views: int = 2, season_draw: str = 'per_view',
                 split_file: str | Path | None = None, check_files: bool = True,
                 **kwargs) -> None:
        modalities = dict(modalities or {'s1': None, 's2c': None})
        unknown = [m for m in modalities if m not in MODALITIES]
        keys = [MODALITIES[m][0] for m in modalities if m in MODALITIES]
        if unknown or len(set(keys)) != len(keys) or not modalities:
            raise ValueError(f'SSL4EOS12Pairs: modalities must name folders among '
                             f'{list(MODALITIES)}, at most one S2 product; got {list(modalities)}')
        if season_draw not in SEASON_DRAWS or not isinstance(num_views, int) or num_views < 1:
            raise ValueError(f'SSL4EOS12Pairs: season_draw must be one of {SEASON_DRAWS} and '
                             f'num_views a positive int; got {season_draw!r}, {num_views!r}')
        self.bands = {}
        for folder, bands in modalities.items():
            available = MODALITIES[folder][1]
            chosen = tuple(normalize_band_name(b) for b in resolve_bands(bands) or ()) or available
            missing = [b for b in chosen if b not in available]
            if missing:
                raise ValueError(f'SSL4EOS12Pairs: {folder} has no band(s) {missing}; bands: '
                                 f'{available}')
            self.bands[folder] = chosen
        self.num_views, self.season_draw, self.check_files = num_views, season_draw, check_files
        self.split_file = split_file
        super().__init__(data_root, **kwargs)

    @classmethod
    def write_fake_data(cls, root: Path, dataset: dict, size: int) -> Path:
        """Write a tiny fake SSL4EO-S12 with the recipe's modality folders (4 locations, 2
        seasons, ``size`` px 10 m bands) under ``root`` for ``--preset cpu-tiny`` and return
        the data_root to read."""
        from eossl.testing import make_fake_ssl4eo_s12
        folders = tuple(dataset.get('modalities') or ('s1', 's2c'))
        make_fake_ssl4eo_s12(root, num_locations=4, seasons=2, size=size, modalities=folders)
        return root

    def load_data_list(self) -> list[dict]:
        """One item per location that every modality has (with a complete season)."""
        roots = {m: self.require_dir(m, f'{m} folder') for m in self.bands}
        common: set[str] | None = None
        for root in roots.values():
            names = {n for n in list_subfolders(root) if LOCATION.match(n)}
            common = names if common is None else common & names
        selected = sorted(common or ())
        if self.split_file is not None:
            path = self.resolve(self.split_file)
            listed = [(line, f'{int(n):07d}' if n.isdigit() else n)
                     for line, n in read_name_list(path)]
            for line, name in listed:
                if name not in common:
                    self.reject(name, InvalidSampleError(
                        f'{path} line {line}: location {name!r} is not under every one of '
                        f'{list(roots.values())}'))
            selected = [n for _, n in listed if n in common]
        items = []
        for location in selected:
            try:
                seasons = {m: self._seasons(roots[m] / location, m, location) for m in roots}
            except InvalidSampleError as err:
                self.reject(location, err)
                continue
            items.append(dict(sample_id=location, location=location, season_lists=seasons))
        if not items:
            raise FileNotFoundError(f'SSL4EOS12Pairs: no location under {self.data_root} has '
                                    f'all of {list(roots)} ({len(self.invalid_samples)} invalid)')
        print_log(f'SSL4EOS12Pairs: {len(items)} locations with {list(roots)} under '
                  f'{self.data_root}; {len(self.invalid_samples)} invalid',
                  logger='current', level=logging.INFO)
        return items

    def _seasons(self, folder: Path, modality: str, location: str) -> list[str]:
        """Season folders of one modality of a location in date order (complete when checked)."""
        seasons = by_date(list_subfolders(folder))
        if self.check_files:
            for season in seasons:
                require_files(folder / season, [f'{b}.tif' for b in self.bands[modality]])
        if not seasons:
            raise InvalidSampleError(f'{folder}: location {location} has no season folder')
        return seasons

    def get_data_info(self, idx: int) -> dict:
        """The location with a season drawn (``np.random``) for each view of each modality."""
        info = super().get_data_info(idx)
        season_lists = info.pop('season_lists')
        shared = [np.random.rand() for _ in range(self.num_views)]
        paths, seasons = {}, {}
        for modality, options in season_lists.items():
            key = MODALITIES[modality][0]
            modality_draw = np.random.randint(len(options))
            for view in range(self.num_views):
                if self.season_draw == 'per_view':
                    pick = np.random.randint(len(options))
                elif self.season_draw == 'per_modality':
                    pick = modality_draw
                else:
                    pick = int(shared[view] * len(options))
                folder = Path(self.data_root) / modality / info['location'] / options[pick]
                name = key if view == 0 else f'{key}/{view}'
                paths[name] = {b: str(folder / f'{b}.tif') for b in self.bands[modality]}
                seasons[name] = options[pick]
        info.update(paths=paths, seasons=seasons)
        return info
