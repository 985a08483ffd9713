"""A method's recipes at CPU sizes: its :meth:`cpu_overrides` resolved and merged into a recipe.

Overrides are keyed by field name; a key segment ``[Type]`` names the one dict of that ``type``
under that point of the recipe (a pipeline transform, searched depth-first through nested lists
and dicts such as ``MultiView``'s ``transforms``), so an override survives a transform being
added or moved: ``'train_dataloader.dataset.pipeline.[DisjointMaskGenerator].patch_size'``.
"""
import re
from typing import Any

from mmengine.config import Config

from .methods import method_class

CPU_SIZES = ('tiny', 'probe', 'bench')
# each ViT size of a recipe → the width of its tiny stand-in (2 layers, 2 heads)
TINY_VIT_WIDTH = {'small': 32, 'base': 48, 'large': 64, 'giant': 96}
_TYPED = re.compile(r'\[([\w.]+)\]')


def _short(type_name: Any) -> str:
    return str(type_name).split('.')[-1] if isinstance(type_name, str) else \
        getattr(type_name, '__name__', '')


def _find(node: Any, type_name: str, path: list[str]) -> list[list[str]]:
    """Paths (lists of key segments) of every dict of ``type`` ``type_name`` under ``node``."""
    found = []
    if isinstance(node, dict):
        if _short(node.get('type')) == type_name:
            found.append(path)
        for key, value in node.items():
            found += _find(value, type_name, [*path, str(key)])
    elif isinstance(node, (list, tuple)):
        for index, value in enumerate(node):
            found += _find(value, type_name, [*path, str(index)])
    return found


def has_step(cfg: Config, type_name: str,
             pipeline: str = 'train_dataloader.dataset.pipeline') -> bool:
    """Whether the recipe's ``pipeline`` holds a step of type ``type_name`` (at any depth), for
    an override that applies only to recipes with that step."""
    node: Any = cfg
    for part in pipeline.split('.'):
        node = node.get(part) if hasattr(node, 'get') else None  # Config or dict
    return bool(_find(node, type_name, []))


def resolve_key(cfg: Config, key: str) -> str:
    """``key`` with every ``[Type]`` segment replaced by the position of that dict.

    Raises:
        KeyError: no dict or several dicts of that type sit under that point, naming both.
    """
    parts: list[str] = []
    for segment in _split(key):
        match = _TYPED.fullmatch(segment)
        if not match:
            parts.append(segment)
            continue
        node: Any = cfg
        for part in parts:
            node = node[int(part)] if isinstance(node, (list, tuple)) else node[part]
        hits = _find(node, match.group(1), [])
        if len(hits) != 1:
            where = getattr(cfg, 'filename', None) or 'the recipe'
            raise KeyError(f'{where}: override {key!r}: expected one {match.group(1)} under '
                           f'{".".join(parts) or "the root"}, found {len(hits)}')
        parts += hits[0]
    return '.'.join(parts)


def _split(key: str) -> list[str]:
    """Dotted segments of ``key``, keeping dots inside ``[pkg.Type]`` together."""
    return re.findall(r'\[[\w.]+\]|[^.]+', key)


def tiny_vit(arch: str | dict, notes: list[str]) -> dict:
    """The ``arch`` of the tiny ViT (2 layers, 2 heads) standing in for ``arch`` at size
    ``'tiny'``: each ViT size keeps a width of its own (ViT-S → 32, ViT-B → 48, ...), so a ViT-S and
    a ViT-B recipe stay two models; says so in ``notes``."""
    width = TINY_VIT_WIDTH.get(arch, 32) if isinstance(arch, str) else 32
    notes.append(f'ViT arch {arch!r} -> embed_dims {width}, 2 layers, 2 heads (each ViT size '
                 f'keeps its own width: {TINY_VIT_WIDTH})')
    return dict(embed_dims=width, num_layers=2, num_heads=2, _delete_=True)


def apply_cpu_size(cfg: Config, size: str) -> list[str]:
    """Merge the recipe's method's :meth:`cpu_overrides` at ``size`` into ``cfg`` (in place).

    Returns:
        the notes the method gave (changes beyond sizes), to print.

    Raises:
        KeyError: ``size`` is not one of :data:`CPU_SIZES`, or the recipe's model is not a
            method, or an override names a transform the recipe does not have.
        NotImplementedError: the method declares no CPU sizes.
    """
    if size not in CPU_SIZES:
        raise KeyError(f'CPU size {size!r}: expected one of {CPU_SIZES}')
    notes: list[str] = []
    overrides = method_class(cfg).cpu_overrides(cfg, size, notes)
    cfg.merge_from_dict({resolve_key(cfg, key): value for key, value in overrides.items()})
    return notes

__all__ = ['CPU_SIZES', 'TINY_VIT_WIDTH', 'apply_cpu_size', 'has_step', 'resolve_key',
           'tiny_vit']
