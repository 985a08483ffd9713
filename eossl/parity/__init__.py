"""Parity references: run each method's official code on seeded inputs.

One generator module per method, ``eossl/parity/<slug>.py``, declares ``OFFICIAL_REPO``
(``owner/name`` on GitHub), ``CHECKOUT_OPTION`` (the command-line option naming a checkout) and
``references(root) -> {name: array}``; :func:`generators` finds them, so a new method adds its
module and edits none. Only :mod:`eossl.cli.parity_references`
(``tools/parity/generate_references.py``) uses this package, at generation time, with local
checkouts of the official repositories; the tests read the written
``tests/data/parity/<slug>.npz`` files and never import official code.
"""
import importlib
import pkgutil
from types import ModuleType


def generators() -> dict[str, ModuleType]:
    """``{module name: generator module}`` of every module here that defines ``references``
    and ``OFFICIAL_REPO`` (importing them imports no official code)."""
    found = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f'{__name__}.{info.name}')
        if hasattr(module, 'references') and hasattr(module, 'OFFICIAL_REPO'):
            found[info.name] = module
    return found


__all__ = ['generators']
