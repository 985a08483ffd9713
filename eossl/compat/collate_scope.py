"""Dataloaders of recipes that inherit a ``pkg::`` base build their ``collate_fn``.

Why: mmengine (0.10.x) adds ``_scope_='<pkg>'`` to every dict with a ``type`` inherited from a
``pkg::path`` base (so that a user recipe with another ``default_scope`` still builds the base's
components in its package), and ``Runner.build_dataloader`` passes every key of the
``collate_fn`` dict but ``type`` to the function as a keyword: a user recipe with
``_base_ = ['eossl::pera_vits.py']`` stops at its first batch with ``default_collate() got an
unexpected keyword argument '_scope_'``. :func:`install_collate_scope_fix` makes
``build_dataloader`` of ``Runner`` and ``FlexibleRunner`` honour ``_scope_`` as a registry
scope for the function's name, as every registry build does, instead of passing it on.
Remove once mmengine pops ``_scope_`` from ``collate_fn`` itself.
"""
import functools
from collections.abc import Callable

from mmengine.registry import FUNCTIONS
from mmengine.runner import FlexibleRunner, Runner

from eossl.supported_versions import MMENGINE, require


def resolve_collate_scope(dataloader: object) -> object:
    """``dataloader`` (a Runner dataloader config) with its ``collate_fn`` scope resolved.

    A ``collate_fn`` dict holding ``_scope_`` comes back without it, its ``type`` name replaced
    by the function registered under that name in that scope; anything else comes back as it
    was. The argument is never modified.

    Raises:
        KeyError: the scope has no function of that name.
    """
    if not isinstance(dataloader, dict):
        return dataloader
    collate = dataloader.get('collate_fn')
    if not isinstance(collate, dict) or '_scope_' not in collate:
        return dataloader
    collate = dict(collate)
    scope = collate.pop('_scope_')
    name = collate.get('type')
    if isinstance(name, str):
        with FUNCTIONS.switch_scope_and_registry(scope) as registry:
            collate['type'] = registry.get(name)
        if collate['type'] is None:
            raise KeyError(f'collate_fn: no function {name!r} is registered in scope {scope!r} '
                           '(mmengine.registry.FUNCTIONS or that package\'s child registry)')
    return {**dataloader, 'collate_fn': collate}


def _honour_collate_scope(build: Callable) -> Callable:
    @functools.wraps(build)
    def build_dataloader(dataloader, *args, **kwargs):
        return build(resolve_collate_scope(dataloader), *args, **kwargs)

    build_dataloader._eossl_collate_scope = True  # type: ignore[attr-defined]
    return build_dataloader


def install_collate_scope_fix() -> None:
    """Patch ``Runner`` and ``FlexibleRunner.build_dataloader`` (idempotent; see module doc)."""
    for runner in (Runner, FlexibleRunner):
        if getattr(runner.build_dataloader, '_eossl_collate_scope', False):
            continue
        require(f'mmengine {runner.__name__}.build_dataloader (collate_fn _scope_)',
                'mmengine', MMENGINE)
        runner.build_dataloader = staticmethod(_honour_collate_scope(runner.build_dataloader))
