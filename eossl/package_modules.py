"""Import every module of a package and export its public names: a new file needs no listing.

The ``__init__`` of ``eossl.models.{selfsup,losses,heads,necks}``, ``eossl.datasets`` and
``eossl.datasets.transforms`` call :func:`export_package_modules`, so a method's new algorithm,
loss, head, neck, dataset or transform file is imported (registered) and exported by
``import eossl`` without an edit to a shared file. Sub-packages (``eossl.datasets.shards``,
``eossl.datasets.transforms``) are imported by their parent explicitly.
"""
import importlib
import inspect
import pkgutil
from collections.abc import Iterable, MutableMapping
from typing import Any


def public_names(module: Any) -> list[str]:
    """``module.__all__``, or else the public classes the module itself defines."""
    names = getattr(module, '__all__', None)
    if names is not None:
        return list(names)
    return sorted(name for name, obj in vars(module).items()
                  if not name.startswith('_') and inspect.isclass(obj)
                  and obj.__module__ == module.__name__)


def export_package_modules(package: str, path: Iterable[str],
                           namespace: MutableMapping[str, Any]) -> list[str]:
    """Import each module of ``package`` (alphabetically) and put its public names in ``namespace``.

    Args:
        package: the package's ``__name__``.
        path: its ``__path__``.
        namespace: its ``globals()``.

    Returns:
        the exported names, sorted (the package's ``__all__``).

    Raises:
        ImportError: two modules export the same name.
    """
    exported: dict[str, str] = {}
    for info in sorted(pkgutil.iter_modules(list(path)), key=lambda m: m.name):
        if info.name.startswith('_') or info.ispkg:
            continue
        module = importlib.import_module(f'{package}.{info.name}')
        for name in public_names(module):
            if name in exported and namespace[name] is not getattr(module, name):
                raise ImportError(f'{package}: {name!r} is exported by both '
                                  f'{exported[name]} and {module.__name__}')
            exported[name] = module.__name__
            namespace[name] = getattr(module, name)
    return sorted(exported)
