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
"""
import importlib.abc
import importlib.machinery
import sys
from types import ModuleType

CONFIG_MODULE = 'mmengine.config.config'
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

    call.__wrapped__ = original
    setattr(config_cls, name, staticmethod(call))


class _WrapConfigAfterLoad(importlib.abc.Loader):
    """Runs the real loader of ``mmengine.config.config``, then wraps its ``Config``."""

    def __init__(self, loader: importlib.abc.Loader) -> None:
        self.loader = loader

    def __getattr__(self, attr: str):
        return getattr(self.loader, attr)  # get_source, get_filename, ... for inspect / linecache

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self.loader.exec_module(module)
        for name in ('fromfile', '_get_cfg_path'):
            _import_eossl_on_first_use(module.Config, name)


class _ConfigModuleFinder(importlib.abc.MetaPathFinder):
    """Finds ``mmengine.config.config`` as usual and hands it the wrapping loader."""

    def find_spec(self, fullname: str, path, target=None):
        if fullname != CONFIG_MODULE:
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
