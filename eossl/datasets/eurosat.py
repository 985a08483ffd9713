"""EuroSAT-MS: 27,000 Sentinel-2 L1C patches (64×64, 13 bands) in 10 land-use classes.

Layout (the official ``EuroSAT_MS`` archive)::

    <data_root>/AnnualCrop/AnnualCrop_1.tif … <data_root>/SeaLake/SeaLake_3000.tif

Each file stores the 13 bands as B1 … B12 then **B8A last**; the items declare that order
(``eurosat:s2_l1c`` in :mod:`eossl.datasets.bands`), so ``LoadMultiBandImage(bands=...)``
returns the bands in whatever order a recipe names them.
"""
import re
from pathlib import Path

from eossl.registry import DATASETS

from .bands import stored_band_order
from .base import read_name_list
from .errors import InvalidSampleError
from .geotiff_folder import GeoTiffFolder

EUROSAT_CLASSES = ('AnnualCrop', 'Forest', 'HerbaceousVegetation', 'Highway', 'Industrial',
                   'Pasture', 'PermanentCrop', 'Residential', 'River', 'SeaLake')
FILE_BANDS = stored_band_order('eurosat', 's2_l1c')
FILE_RE = re.compile(r'(?P<cls>[A-Za-z]+)_(?P<n>\d+)')


@DATASETS.register_module()
class EuroSAT(GeoTiffFolder):
    """EuroSAT-MS single-label patches, modality ``'s2'``, optionally restricted to a split list.

    Items: ``sample_id`` (``'Forest/Forest_12'``), ``paths = {'s2': file}``, ``bands =
    {'s2': FILE_BANDS}`` (B8A last) and ``gt_label = [index in EUROSAT_CLASSES]``.

    Args:
        data_root: the folder holding the 10 class folders.
        split_file: a list of sample names, one per line (``Forest_12``, with any extension:
            the common train/val/test lists name ``.jpg`` files of the RGB release); None: every
            patch.
        **kwargs: :class:`EODataset` arguments (``skip_invalid``, ``label_fraction``, ...).

    Raises (at ``full_init``): InvalidSampleError for a file not named ``<Class>_<n>.tif`` inside
    its class folder, or a split-list name not on disk (recorded instead when
    ``skip_invalid``).
    """

    def __init__(self, data_root: str | Path, split_file: str | Path | None = None,
                 **kwargs) -> None:
        self.split_file = split_file
        super().__init__(data_root, band_names=FILE_BANDS, modality='s2', layout='multiband',
                         pattern='*/*.tif', class_from_folder=True, classes=EUROSAT_CLASSES,
                         **kwargs)

    def load_data_list(self) -> list[dict]:
        """Every ``<Class>/<Class>_<n>.tif``, restricted to ``split_file`` when given."""
        items = []
        for item in super().load_data_list():
            folder, _, name = item['sample_id'].partition('/')
            match = FILE_RE.fullmatch(name)
            if match is None or match['cls'] != folder:
                self.reject(item['sample_id'], InvalidSampleError(
                    f"{item['paths']['s2']}: expected a file named {folder}_<n>.tif"))
                continue
            items.append(item)
        if self.split_file is None:
            return items
        split_path = self.resolve(self.split_file)
        by_name = {item['sample_id'].partition('/')[2]: item for item in items}
        selected = []
        for line, name in read_name_list(split_path):
            stem = Path(name).stem
            if stem in by_name:
                selected.append(by_name[stem])
            else:
                self.reject(stem, InvalidSampleError(
                    f'{split_path} line {line}: {name!r} is not a patch under {self.data_root}'))
        if not selected:
            raise FileNotFoundError(f'EuroSAT: no patch of {split_path} found under '
                                    f'{self.data_root}')
        return selected
