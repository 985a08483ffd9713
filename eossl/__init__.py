"""eossl: self-supervised pretraining for Earth observation imagery on OpenMMLab 2.x.

Importing ``eossl`` checks the supported windows of its OpenMMLab dependencies, installs the
compatibility layer (:mod:`eossl.compat`) and safe checkpoint loading (:mod:`eossl.checkpoints`)
and registers every component.
"""
import mmengine

from .supported_versions import MMENGINE, within
from .version import __version__

if not within(mmengine.__version__, MMENGINE):
    raise ImportError(f'eossl needs mmengine{MMENGINE}, found {mmengine.__version__}')

from . import compat  # noqa: E402  (must run before mmseg is imported anywhere)

compat.install()

from . import checkpoints  # noqa: E402

checkpoints.install_checkpoint_safety()

from . import datasets, engine, evaluation, models  # noqa: E402,F401
from .utils import register_all_modules  # noqa: E402

__all__ = ['__version__', 'register_all_modules']
