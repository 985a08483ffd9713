"""BigEarthNet v2.0 (reBEN, Clasen et al. 2024): Sentinel-2 L2A patches and their Sentinel-1
twins, 19 classes, with the official splits in ``metadata.parquet``.

Layout (the official archives, unchanged)::

    <data_root>/BigEarthNet-S2/<tile>/<patch_id>/<patch_id>_B01.tif ... _B12.tif, _B8A.tif
    <data_root>/BigEarthNet-S1/<S1 product>/<s1_name>/<s1_name>_VV.tif, _VH.tif
    <data_root>/metadata.parquet
    <data_root>/metadata_for_patches_with_snow_cloud_or_shadow.parquet

``metadata.parquet`` has one row per patch: ``patch_id``, ``labels`` (19-class names), ``split``
(``train`` / ``validation`` / ``test``), ``country``, ``s1_name`` (the S1 twin), ``s2v1_name``
(the v1.0 name), ``contains_seasonal_snow``, ``contains_cloud_or_shadow``. The release keeps the
flagged patches out of it, in the second file, which is read only with
``exclude_cloudy_snowy=False``. ``<tile>`` is the patch id without ``_<row>_<col>``, the S1
product folder the S1 name without ``_<tile>_<row>_<col>``. Reading parquet needs ``pyarrow``
(``pip install -e ".[reben]"``).
"""
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from mmengine.logging import print_log

from eossl.registry import DATASETS

from .base import EODataset
from .bigearthnet import CLASSES_19, S1_BANDS, S2_BANDS, band_paths
from .bigearthnet_layout import version_hint
from .errors import InvalidSampleError

if TYPE_CHECKING:
    import pyarrow as pa

SPLITS = {'train': 'train', 'validation': 'validation', 'val': 'validation', 'test': 'test'}
COLUMNS = ('patch_id', 'labels', 'split', 'country', 's1_name', 'contains_seasonal_snow',
           'contains_cloud_or_shadow')
FLAGGED_METADATA = 'metadata_for_patches_with_snow_cloud_or_shadow.parquet'
LABEL_INDEX = {name: i for i, name in enumerate(CLASSES_19)}


def read_metadata(path: Path) -> list[dict]:
    """The rows of a reBEN metadata parquet file: the :data:`COLUMNS`, plus ``metadata_file``
    (``path``, so that errors about a row name the file it came from).

    Raises:
        ImportError: pyarrow is not installed.
        ValueError: naming the file, when it is unreadable or lacks a column, and naming the
            column too when :func:`check_columns` rejects it.
    """
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as err:
        raise ImportError(f'{path}: reading BigEarthNet v2 metadata needs pyarrow '
                          '(pip install pyarrow, or pip install -e ".[reben]")') from err
    try:
        schema = pq.read_schema(path)
        missing = [c for c in COLUMNS if c not in schema.names]
        table = None if missing else pq.read_table(path, columns=list(COLUMNS))
    except (OSError, pa.ArrowException) as err:
        raise ValueError(f'{path}: not a readable parquet file ({err})') from err
    if missing:
        raise ValueError(f'{path}: missing column(s) {missing}; expected the reBEN metadata '
                         f'columns {list(COLUMNS)} (found {schema.names})')
    check_columns(path, table)
    return [dict(row, metadata_file=path) for row in table.to_pylist()]


def check_columns(path: Path, table: 'pa.Table') -> None:
    """ValueError naming ``path`` and the column for a wrong type, a null where a value is
    required or a ``split`` outside :data:`SPLITS` (any of which would silently drop or
    mislabel rows)."""
    import pyarrow as pa

    def text(t) -> bool:
        return pa.types.is_string(t) or pa.types.is_large_string(t)

    def text_list(t) -> bool:
        return (pa.types.is_list(t) or pa.types.is_large_list(t)) and text(t.value_type)

    expected = {'patch_id': ('string', text), 'labels': ('list<string>', text_list),
                'split': ('string', text), 'country': ('string', text), 's1_name': ('string', text),
                'contains_seasonal_snow': ('bool', pa.types.is_boolean),
                'contains_cloud_or_shadow': ('bool', pa.types.is_boolean)}
    for name, (kind, ok) in expected.items():
        column = table.column(name)
        if not ok(column.type):
            raise ValueError(f'{path}: column "{name}" has type {column.type}, expected {kind}')
        if name not in ('s1_name', 'country') and column.null_count:
            row = column.is_null().to_pylist().index(True)
            raise ValueError(f'{path}: column "{name}" is null in {column.null_count} row(s) '
                             f'(first at row index {row}); expected a {kind} in every row')
    unknown = sorted(set(table.column('split').to_pylist()) - set(SPLITS.values()))
    if unknown:
        raise ValueError(f'{path}: column "split" holds {unknown}; expected only '
                         f'{sorted(set(SPLITS.values()))}')


def s2_patch_folder(s2_dir: Path, patch_id: str) -> Path:
    """``<s2_dir>/<tile>/<patch_id>``."""
    return s2_dir / patch_id.rsplit('_', 2)[0] / patch_id


def s1_patch_folder(s1_dir: Path, s1_name: str) -> Path:
    """``<s1_dir>/<S1 product>/<s1_name>``."""
    return s1_dir / s1_name.rsplit('_', 3)[0] / s1_name


@DATASETS.register_module()
class BigEarthNetV2(EODataset):
    """BigEarthNet v2.0 (reBEN) multi-label patches, S2 and/or S1, with the official splits.

    Items as :class:`~eossl.datasets.BigEarthNet`'s: ``sample_id`` (the S2 ``patch_id``),
    ``paths`` = ``{'s2': {band: path}}`` (12 L2A bands, canonical names) and/or ``{'s1': {'VV':
    …, 'VH': …}}``, ``gt_label`` (sorted 19-class indices), ``s1_patch`` when S1 is used, and
    ``country``. Indexing reads the parquet file(s) and lists each patch folder once.

    Args:
        data_root: folder holding the trees and the metadata files.
        s2_root, s1_root: the trees, relative to ``data_root`` or absolute.
        metadata: the metadata parquet file, relative to ``data_root`` or absolute.
        modalities: ``('s2',)``, ``('s1',)`` or ``('s1', 's2')``.
        split: None (every patch in the metadata), ``'train'``, ``'validation'`` (or ``'val'``)
            or ``'test'``.
        exclude_cloudy_snowy: leave out the patches flagged cloudy/shadowed or seasonal snow
            (default, as the release does); False also reads
            ``metadata_for_patches_with_snow_cloud_or_shadow.parquet`` beside ``metadata``.
        keep_unlabeled: keep patches with an empty label list (``gt_label=[]``).
        **kwargs: :class:`EODataset` arguments (``skip_invalid``, ``label_fraction``,
            ``pipeline``, ...).

    Raises (at ``full_init``): FileNotFoundError for a missing tree or metadata file (saying so
    when the folder is a v1.0 layout) or when no patch is left; ValueError naming the metadata
    file (and the column) when it is unreadable, empty, lacks a column, has a column of the
    wrong type, a null ``patch_id`` / ``labels`` / ``split`` / flag or an unknown ``split``
    value; :class:`InvalidSampleError`
    naming the file for a missing band file or patch folder, or an unknown label (recorded
    instead when ``skip_invalid``).
    """

    def __init__(self, data_root: str | Path, s2_root: str | Path = 'BigEarthNet-S2',
                 s1_root: str | Path = 'BigEarthNet-S1',
                 metadata: str | Path = 'metadata.parquet',
                 modalities: Sequence[str] = ('s2',), split: str | None = None,
                 exclude_cloudy_snowy: bool = True, keep_unlabeled: bool = False,
                 **kwargs) -> None:
        if not modalities or not set(modalities) <= {'s1', 's2'}:
            raise ValueError("BigEarthNetV2: modalities must be ('s2',), ('s1',) or ('s1', "
                             f"'s2'), got {modalities!r}")
        if split is not None and split not in SPLITS:
            raise ValueError(f'BigEarthNetV2: split must be None or one of {list(SPLITS)}, '
                             f'got {split!r}')
        self.s2_root, self.s1_root, self.metadata = s2_root, s1_root, metadata
        self.modalities = tuple(sorted(set(modalities)))
        self.split = None if split is None else SPLITS[split]
        self.exclude_cloudy_snowy = exclude_cloudy_snowy
        self.keep_unlabeled = keep_unlabeled
        metainfo = dict(kwargs.pop('metainfo', None) or {}, classes=CLASSES_19)
        super().__init__(data_root, metainfo=metainfo, **kwargs)

    def require_dir(self, path: str | Path, what: str) -> Path:
        """:meth:`EODataset.require_dir`, saying so when ``data_root`` holds BigEarthNet v1."""
        try:
            return super().require_dir(path, what)
        except FileNotFoundError as err:
            raise FileNotFoundError(f'{err}{version_hint(self.data_root, "v2")}') from err

    def _rows(self) -> list[dict]:
        """The metadata rows (plus the flagged ones unless excluded), in file order."""
        path = self.resolve(self.metadata)
        if not path.is_file():
            raise FileNotFoundError(f'BigEarthNetV2: metadata file {path} does not exist '
                                    f'(data_root={self.data_root!r})'
                                    f'{version_hint(self.data_root, "v2")}')
        rows = read_metadata(path)
        if not rows:
            raise ValueError(f'{path}: the metadata file has no row (no patch to index)')
        if not self.exclude_cloudy_snowy:
            flagged = path.parent / FLAGGED_METADATA
            if not flagged.is_file():
                raise FileNotFoundError(f'BigEarthNetV2: exclude_cloudy_snowy=False needs '
                                        f'{flagged}, which does not exist')
            rows += read_metadata(flagged)
        return rows

    def load_data_list(self) -> list[dict]:
        """Index the patches of the selected split and modalities (see the class docstring)."""
        s2_dir = self.require_dir(self.s2_root, 'S2 tree (s2_root)') \
            if 's2' in self.modalities else None
        s1_dir = self.require_dir(self.s1_root, 'S1 tree (s1_root)') \
            if 's1' in self.modalities else None
        rows = self._rows()
        selected = [r for r in rows if self.split is None or r['split'] == self.split]
        kept = [r for r in selected if not self.exclude_cloudy_snowy or not (
            r['contains_seasonal_snow'] or r['contains_cloud_or_shadow'])]
        items, unlabeled = [], 0
        for row in kept:
            try:
                item = self._make_item(row, s2_dir, s1_dir)
            except InvalidSampleError as err:
                self.reject(str(row['patch_id']), err)
                continue
            if item['gt_label'] or self.keep_unlabeled:
                items.append(item)
            else:
                unlabeled += 1
        where = ' and '.join(str(d) for d in (s2_dir, s1_dir) if d)
        summary = (f'split: {self.split or "all"}; {len(selected)} selected; left out '
                   f'{len(selected) - len(kept)} cloudy/snowy, {unlabeled} unlabeled, '
                   f'{len(self.invalid_samples)} invalid')
        if not items:
            raise FileNotFoundError(f'BigEarthNetV2: no patch left under {where} ({summary})')
        print_log(f'BigEarthNetV2: {len(items)} patches from {where} ({summary})',
                  logger='current', level=logging.INFO)
        return items

    def _make_item(self, row: dict, s2_dir: Path | None, s1_dir: Path | None) -> dict:
        """The item of one metadata row, once the files it points at are known to exist."""
        patch = str(row['patch_id'])
        item: dict = {'sample_id': patch, 'paths': {}, 'country': row.get('country')}
        if s2_dir is not None:
            item['paths']['s2'] = band_paths(s2_patch_folder(s2_dir, patch), patch, S2_BANDS)
        if s1_dir is not None:
            s1_name = row.get('s1_name')
            if not isinstance(s1_name, str) or not s1_name:
                raise InvalidSampleError(f'{row["metadata_file"]}: patch {patch} has no '
                                         's1_name (S1 twin)')
            item['paths']['s1'] = band_paths(s1_patch_folder(s1_dir, s1_name), s1_name,
                                             S1_BANDS)
            item['s1_patch'] = s1_name
        labels = list(row.get('labels') or [])
        unknown = [name for name in labels if name not in LABEL_INDEX]
        if unknown:
            raise InvalidSampleError(f'{row["metadata_file"]}: patch {patch} has unknown '
                                     f'label(s) {unknown}; expected names of the 19-class '
                                     'BigEarthNet nomenclature')
        item['gt_label'] = sorted({LABEL_INDEX[name] for name in labels})
        return item
