"""The shipped methods, found by their classes: what generic code iterates over instead of tables.

A method is a :class:`~.base.BaseEOSelfSupervisor` subclass that sets its own ``slug``; importing
:mod:`eossl.models` imports every module of this package, so a new algorithm file is found
without being listed anywhere.
"""
from mmengine.config import Config, ConfigDict

from eossl.registry import MODELS

from .base import BaseEOSelfSupervisor


def registered_methods() -> dict[str, type[BaseEOSelfSupervisor]]:
    """``{slug: algorithm class}`` of every method, sorted by slug.

    Raises:
        RuntimeError: two classes declare the same slug.
    """
    import eossl.models  # noqa: F401  (imports every algorithm module)
    found: dict[str, type[BaseEOSelfSupervisor]] = {}
    stack = list(BaseEOSelfSupervisor.__subclasses__())
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        slug = cls.__dict__.get('slug')
        if not slug:
            continue
        if slug in found and found[slug] is not cls:
            raise RuntimeError(f'method slug {slug!r} is declared by both '
                               f'{found[slug].__qualname__} and {cls.__qualname__}')
        found[slug] = cls
    return dict(sorted(found.items()))


def method_class(cfg: Config | ConfigDict | dict) -> type[BaseEOSelfSupervisor]:
    """The algorithm class of a recipe (``cfg.model.type``, resolved in eossl's registry).

    Raises:
        KeyError: ``model.type`` is not a registered eossl pretraining algorithm.
    """
    model_type = (cfg.get('model') or {}).get('type', '')
    cls = MODELS.get(model_type) if isinstance(model_type, str) and model_type else model_type
    if not (isinstance(cls, type) and issubclass(cls, BaseEOSelfSupervisor)):
        names = ', '.join(c.__name__ for c in registered_methods().values())
        where = getattr(cfg, 'filename', None) or 'the recipe'
        raise KeyError(f'{where}: model.type={model_type!r} is not an eossl pretraining '
                       f'algorithm (one of {names})')
    return cls

__all__ = ['method_class', 'registered_methods']
