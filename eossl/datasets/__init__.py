"""EO datasets (one file per dataset family), band metadata and transforms; every module here
is imported and exported (a new dataset is a new file), the two sub-packages explicitly."""
from eossl.package_modules import export_package_modules

from . import transforms  # noqa: F401
from .shards import ShardedDataset

__all__ = ['ShardedDataset', *export_package_modules(__name__, __path__, globals())]
