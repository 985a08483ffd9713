"""Version guards for eossl's overrides of third-party internals.

Every shim in :mod:`eossl.compat` (and every hook overriding a private mmengine method) was
written against the internals of specific releases. Outside them the override may silently do
the wrong thing (a renamed argument, a moved call), so each one calls :func:`require` with the
range it was checked against and refuses to install outside it, naming the override. A user who
has checked a newer release can set ``EOSSL_SKIP_VERSION_GUARDS=1`` to install them anyway.
"""
import os
from importlib.metadata import PackageNotFoundError, version

from packaging.specifiers import SpecifierSet
from packaging.version import Version

SKIP_ENV = 'EOSSL_SKIP_VERSION_GUARDS'

# The ranges each override was written and tested for (the project pins the lower ends).
MMENGINE = '>=0.10.0,<0.11'
TORCH_FSDP_KEYWORDS = '>=2.1'
MMCV = '>=2.0.0,<2.3'


class UnsupportedVersionError(RuntimeError):
    """An override of a third-party internal meets a release it was not written for."""


def installed_version(package: str) -> str | None:
    """The installed distribution's version string, or None when it is not installed."""
    try:
        return version(package)
    except PackageNotFoundError:
        return None


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
    if Version(Version(found).base_version) not in SpecifierSet(supported):
        raise UnsupportedVersionError(
            f'eossl override "{override}" was written for {package}{supported}, but '
            f'{package} {found} is installed; its internals may have changed. Install a '
            f'{package} within {supported}, or set {SKIP_ENV}=1 after checking that the '
            'override still applies.')
