"""Let plain mmengine resolve ``eossl::<recipe>.py`` before anything imported eossl.

mmengine finds ``pkg::path`` recipes only for the packages it knows, and never as the file given to
``Config.fromfile``; ``import eossl`` teaches it (``eossl/compat/package_configs.py``). A user who
writes ``from mmengine.config import Config; Config.fromfile('eossl::pera_vits.py')`` has not
imported eossl, so an installed wheel also puts ``eossl_config_lookup.pth`` into site-packages:
Python runs its one line (``import eossl_config_lookup``) at start-up, and this module registers an
import hook, nothing else (importing mmengine, torch or eossl at every interpreter start would cost
seconds). When ``mmengine.config.config`` is first imported, ``Config.fromfile`` and
``Config._get_cfg_path`` are wrapped so that the first ``eossl::`` name imports eossl, whose lookup
then resolves it. Processes that never name an ``eossl::`` recipe are unchanged. An editable
install has no ``.pth`` (there ``import eossl`` first, as every eossl tool does).

The same hook gives TerraTorch its ``eossl`` backbones: when ``terratorch.registry`` is first
imported, eossl is imported before it (TerraTorch's registry imports mmseg when it is installed,
and mmseg needs eossl's mmcv-lite fallback for ``mmcv.ops``: without it ``import terratorch``
fails in an environment that has eossl), and an ``eossl`` source is added to its
``BACKBONE_REGISTRY`` after it; the backbone module is imported when a config names an
``eossl_*`` backbone. In an editable install, ``import eossl.integrations.terratorch`` first.

The hook wraps mmengine internals, so it is guarded like every eossl override: when the installed
mmengine is outside the range eossl supports (``eossl/supported_versions.py``, read by file path
so that eossl itself is not imported), the hook steps aside and both modules load untouched.
Outside an ``eossl::`` name (or a TerraTorch registry import), it never imports eossl.
"""
import functools
import importlib.abc
import importlib.machinery
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

CONFIG_MODULE = 'mmengine.config.config'
TERRATORCH_REGISTRY = 'terratorch.registry'
PREFIX = 'eossl::'


def _import_eossl_on_first_use(config_cls: type, name: str) -> None:
    """Wrap ``config_cls.<name>`` (a staticmethod taking a path first) to import eossl first."""
    original = getattr(config_cls, name)

    def call(path, *args, **kwargs):
        if isinstance(path, str) and path.startswith(PREFIX) \
                and not getattr(config_cls, '_eossl_package_lookup', False):
            import eossl  # noqa: F401  (installs the lookup, which wraps this method again)
            return getattr(config_cls, name)(path, *args, **kwargs)
        return original(path, *args, **kwargs)

    call.__wrapped__ = original  # type: ignore[attr-defined]
    setattr(config_cls, name, staticmethod(call))


def _wrap_config(module: ModuleType) -> None:
    """Make ``Config.fromfile`` / ``_get_cfg_path`` import eossl for an ``eossl::`` name."""
    for name in ('fromfile', '_get_cfg_path'):
        _import_eossl_on_first_use(module.Config, name)


class _LazyEOSSLBackbones:
    """TerraTorch backbone source that imports ``eossl.integrations.terratorch`` on first use."""

    def _source(self):
        from eossl.integrations.terratorch import EOSSL_BACKBONES
        return EOSSL_BACKBONES

    def __iter__(self):
        return iter(self._source())

    def __len__(self) -> int:
        return len(self._source())

    def __contains__(self, name: object) -> bool:
        return name in self._source()

    def __getitem__(self, name: str):
        return self._source()[name]

    def build(self, name: str, *args, **kwargs):
        return self._source().build(name, *args, **kwargs)


def _add_eossl_backbones(module: ModuleType) -> None:
    """Give TerraTorch's ``BACKBONE_REGISTRY`` the lazy ``eossl`` source."""
    registry = getattr(module, 'BACKBONE_REGISTRY', None)
    if registry is not None and hasattr(registry, 'register_source'):
        try:
            registry.register_source('eossl', _LazyEOSSLBackbones())
        except KeyError:  # already there
            pass


def _import_eossl() -> None:
    import eossl  # noqa: F401  (eossl.compat: mmseg importable on mmcv-lite)


AFTER_LOAD = {CONFIG_MODULE: _wrap_config, TERRATORCH_REGISTRY: _add_eossl_backbones}
BEFORE_LOAD = {TERRATORCH_REGISTRY: _import_eossl}


class _WrapConfigAfterLoad(importlib.abc.Loader):
    """Runs a module's ``BEFORE_LOAD`` step, its real loader, then its ``AFTER_LOAD`` step."""

    def __init__(self, loader: importlib.abc.Loader) -> None:
        self.loader = loader

    def __getattr__(self, attr: str):
        return getattr(self.loader, attr)  # get_source, get_filename, ... for inspect / linecache

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        if module.__name__ in BEFORE_LOAD:
            BEFORE_LOAD[module.__name__]()
        self.loader.exec_module(module)
        AFTER_LOAD[module.__name__](module)


@functools.cache
def mmengine_supported() -> bool:
    """Whether the installed mmengine lies in eossl's supported range (False when unknown)."""
    spec = importlib.util.find_spec('eossl')
    if spec is None or not spec.submodule_search_locations:
        return False
    path = Path(next(iter(spec.submodule_search_locations))) / 'supported_versions.py'
    versions_spec = importlib.util.spec_from_file_location('_eossl_supported_versions', path)
    if versions_spec is None or versions_spec.loader is None:
        return False
    versions = importlib.util.module_from_spec(versions_spec)
    versions_spec.loader.exec_module(versions)
    found = versions.installed_version('mmengine')
    return found is not None and versions.within(found, versions.MMENGINE)


class _ConfigModuleFinder(importlib.abc.MetaPathFinder):
    """Finds the modules of ``AFTER_LOAD`` as usual and hands them the wrapping loader."""

    def find_spec(self, fullname: str, path, target=None):
        if fullname not in AFTER_LOAD or not mmengine_supported():
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
        if spec is not None and spec.loader is not None:
            spec.loader = _WrapConfigAfterLoad(spec.loader)
        return spec


def install() -> None:
    """Register the hook once (at interpreter start-up, before anything imports mmengine)."""
    if not any(isinstance(finder, _ConfigModuleFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _ConfigModuleFinder())


install()
