from . import transforms  # noqa: F401
from .base import EODataset
from .bigearthnet import BigEarthNet
from .errors import InvalidSampleError
from .geotiff_folder import GeoTiffFolder
from .sen12ms import SEN12MS
from .mmearth import MMEarth
from .ssl4eo_s12 import SSL4EOS12
__all__ = ['InvalidSampleError', 'MMEarth']
__all__ += ['EODataset', 'BigEarthNet', 'SEN12MS', 'GeoTiffFolder', 'SSL4EOS12']
