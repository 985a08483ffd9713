"""EO datasets (one file per dataset family), band metadata and transforms."""
from . import transforms  # noqa: F401
from .array_raster import ArrayRaster
from .base import EODataset
from .bigearthnet import BigEarthNet
from .bigearthnet_v2 import BigEarthNetV2
from .copernicus_bench import (
                               CopernicusBenchBigEarthNet,
                               CopernicusBenchDFC2020,
                               CopernicusBenchEuroSAT,
)
from .dfc2020 import DFC2020
from .epoch_sampler import DatasetEpochSampler
from .errors import InvalidSampleError
from .eurosat import EuroSAT
from .geobench import GeoBenchDataset
from .geotiff_folder import GeoTiffFolder
from .mmearth import MMEarth
from .scene_windows import SceneWindows
from .sen12ms import SEN12MS
from .shards import ShardedDataset
from .ssl4eo_s12 import SSL4EOS12

__all__ = ['ArrayRaster', 'EODataset', 'BigEarthNet', 'BigEarthNetV2', 'CopernicusBenchBigEarthNet',
           'CopernicusBenchDFC2020', 'CopernicusBenchEuroSAT', 'DatasetEpochSampler',
           'DFC2020', 'InvalidSampleError', 'EuroSAT', 'GeoBenchDataset',
           'GeoTiffFolder', 'MMEarth', 'SceneWindows',
           'SEN12MS', 'ShardedDataset', 'SSL4EOS12']
