"""A folder of the user's own GeoTIFFs, one sample per multi-band file or per folder of bands.

Two layouts::

    layout='multiband':   <data_root>/[<class>/]<sample>.tif                 (C bands in one file)
    layout='band_files':  <data_root>/[<class>/]<sample>/<band>.tif          (one file per band)
"""
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eossl.registry import DATASETS

from .base import EODataset, require_files
from .errors import InvalidSampleError

LAYOUTS = {'multiband': '**/*.tif', 'band_files': '*'}


@DATASETS.register_module()
class GeoTiffFolder(EODataset):
    """Every GeoTIFF (or band folder) matching a glob pattern is one sample of one modality.

    Items: ``sample_id`` (the path relative to ``data_root``, without ``.tif``), ``paths`` =
    ``{modality: file}`` (multiband) or ``{modality: {band: file}}`` (band_files),
    ``bands`` = ``{modality: band_names}`` and, with ``class_from_folder``, ``gt_label`` =
    ``[index of the parent folder's name in classes]``.

    Args:
        data_root: the folder to search.
        band_names: names of the bands, in file order (multiband) or as the file stems of each
            sample folder (band_files); the loader selects bands by these names.
        modality: the modality key of ``paths`` (e.g. ``'img'``, ``'s2'``).
        layout: ``'multiband'`` or ``'band_files'`` (see the module docstring).
        pattern: glob relative to ``data_root`` (``**`` recurses) matching the sample files
            (multiband, default ``'**/*.tif'``) or the sample folders (band_files, default
            ``'*'``; use ``'*/*'`` with class folders).
        class_from_folder: label each sample by the name of the folder holding it.
        classes: the class names in index order; by default the sorted folder names found.
            A sample whose folder is not among them is invalid.
        **kwargs: :class:`EODataset` arguments (``skip_invalid``, ``pipeline``, ...).
    """

    def __init__(self,
                 data_root: str | Path,
                 band_names: Sequence[str],
                 modality: str = 'img',
                 layout: str = 'multiband',
                 pattern: str | None = None,
                 class_from_folder: bool = False,
                 classes: Sequence[str] | None = None,
                 **kwargs) -> None:
        if isinstance(band_names, str) or not band_names \
                or len(set(band_names)) != len(band_names):
            raise ValueError('GeoTiffFolder: band_names must be a non-empty sequence of distinct '
                             f'names, got {band_names!r}')
        if layout not in LAYOUTS:
            raise ValueError(f'GeoTiffFolder: layout must be one of {list(LAYOUTS)}, '
                             f'got {layout!r}')
        if classes is not None and not class_from_folder:
            raise ValueError('GeoTiffFolder: classes needs class_from_folder=True')
        self.band_names = tuple(band_names)
        self.modality = modality
        self.layout = layout
        self.pattern = pattern or LAYOUTS[layout]
        self.class_from_folder = class_from_folder
        self.classes = None if classes is None else tuple(classes)
        metainfo = dict(kwargs.pop('metainfo', None) or {})
        if self.classes is not None:
            metainfo['classes'] = self.classes
        super().__init__(data_root, metainfo=metainfo, **kwargs)

    def load_data_list(self) -> list[dict]:
        """One item per match of ``pattern``, checked and labelled."""
        root = self.require_dir('.', 'GeoTiffFolder root (data_root)')
        want_dirs = self.layout == 'band_files'
        matches = sorted(p for p in root.glob(self.pattern) if p.is_dir() == want_dirs)
        if not matches:
            kind = 'folder' if want_dirs else 'file'
            raise FileNotFoundError(f'GeoTiffFolder: no {kind} under {root} matches the pattern '
                                    f'{self.pattern!r} (layout={self.layout!r})')
        classes = self.classes or tuple(sorted({p.parent.name for p in matches
                                                if p.parent != root}))
        if self.class_from_folder:
            self._metainfo['classes'] = classes
        items = []
        for match in matches:
            sample_id = match.relative_to(root).with_suffix('').as_posix() if not want_dirs \
                else match.relative_to(root).as_posix()
            try:
                items.append(self._make_item(root, match, sample_id, classes))
            except InvalidSampleError as err:
                self.reject(sample_id, err)
        if not items:
            raise FileNotFoundError(f'GeoTiffFolder: all {len(matches)} matches of '
                                    f'{self.pattern!r} under {root} are invalid')
        return items

    def _make_item(self, root: Path, match: Path, sample_id: str,
                   classes: tuple[str, ...]) -> dict:
        """The item of one matched file or folder."""
        if self.layout == 'band_files':
            require_files(match, [f'{band}.tif' for band in self.band_names])
            path: str | dict[str, str] = {b: str(match / f'{b}.tif') for b in self.band_names}
        else:
            path = str(match)
        item: dict[str, Any] = {'sample_id': sample_id, 'paths': {self.modality: path},
                'bands': {self.modality: self.band_names}}
        if self.class_from_folder:
            if match.parent == root:
                raise InvalidSampleError(f'{match}: not inside a class folder '
                                         '(class_from_folder=True)')
            if match.parent.name not in classes:
                raise InvalidSampleError(f'{match}: folder {match.parent.name!r} is not one of '
                                         f'the classes {classes}')
            item['gt_label'] = [classes.index(match.parent.name)]
        return item
