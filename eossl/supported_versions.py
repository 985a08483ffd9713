"""The versions of eossl's core dependencies it supports: one declaration, checked everywhere.

These ranges are the single source of truth. ``requirements/runtime.txt`` (the wheel's metadata)
declares the same ranges and a test keeps the two equal; ``import eossl`` refuses an mmengine
outside :data:`MMENGINE`; the start-up hook (``eossl_config_lookup``) reads this file without
importing eossl and stays inactive outside :data:`MMENGINE`; every override of a third-party
internal (:mod:`eossl.compat`) calls :func:`require` with the range it
was written for and refuses to install outside it, naming the override. A user who has checked a
newer release can set ``EOSSL_SKIP_VERSION_GUARDS=1`` to install the overrides anyway.

Why these floors:

- torch 2.5: the first release with ``torch.serialization.safe_globals`` (a scoped allowlist) and
  ``torch.serialization.get_unsafe_globals_in_checkpoint``, which eossl's safe checkpoint loading
  (:mod:`eossl.checkpoints.safe_load`) needs; torchvision 0.20 is its companion release.
- mmengine 0.10.0 and mmcv-lite 2.0.0: the oldest releases of the 0.10 / 2.x lines; CI imports
  eossl on exactly these and runs a smoke test (``.ci/run``, "oldest admitted versions").
- mmcv-lite below 2.2.0: mmsegmentation 1.2 refuses mmcv 2.2 and later at import.

This module imports nothing of eossl (the start-up hook loads it by file path).
"""
import os
from importlib.metadata import PackageNotFoundError, version

from packaging.specifiers import SpecifierSet
from packaging.version import Version

SKIP_ENV = 'EOSSL_SKIP_VERSION_GUARDS'

TORCH = '>=2.5'
TORCHVISION = '>=0.20'
MMENGINE = '>=0.10.0,<0.11'
MMCV = '>=2.0.0,<2.2.0'

# distribution name in requirements/runtime.txt -> its supported range
RUNTIME_REQUIREMENTS = {'torch': TORCH, 'torchvision': TORCHVISION, 'mmengine': MMENGINE,
                        'mmcv-lite': MMCV}


class UnsupportedVersionError(RuntimeError):
    """An override of a third-party internal meets a release it was not written for."""


def installed_version(package: str) -> str | None:
    """The installed distribution's version string, or None when it is not installed."""
    try:
        return version(package)
    except PackageNotFoundError:
        return None


def within(found: str, supported: str) -> bool:
    """Whether release ``found`` (local/dev suffixes ignored) lies in ``supported``."""
    return Version(Version(found).base_version) in SpecifierSet(supported)


def require(override: str, package: str, supported: str) -> None:
    """Raise :class:`UnsupportedVersionError` unless ``package`` is within ``supported``.

    Args:
        override: what is overridden, e.g. ``'mmengine CheckpointLoader local loader'``.
        package: the distribution name (``'mmengine'``, ``'torch'``, ``'mmcv'``/``'mmcv-lite'``).
        supported: a PEP 440 specifier set, e.g. ``'>=0.10.0,<0.11'``.
    """
    found = installed_version(package)
    if found is None or os.environ.get(SKIP_ENV) == '1':
        return
    if not within(found, supported):
        raise UnsupportedVersionError(
            f'eossl override "{override}" was written for {package}{supported}, but '
            f'{package} {found} is installed; its internals may have changed. Install a '
            f'{package} within {supported}, or set {SKIP_ENV}=1 after checking that the '
            'override still applies.')
