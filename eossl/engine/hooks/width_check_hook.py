"""Fail naming the config field when a neck or head was built for another feature width than it
receives, instead of a raw ``mat1 and mat2 shapes cannot be multiplied (8x768 and 32x32)`` or
``expected input[2, 512, 28, 28] to have 2048 channels`` from inside the layer.

Changing a backbone's width (``arch='base'``, ``depth=18``) without the ``in_channels`` of what
reads its features is the usual cause; the message names the module, its config key and the
width it receives.
"""
from collections.abc import Iterator, Mapping

import torch
from mmengine.hooks import Hook
from mmpretrain.models.utils import LayerNorm2d
from torch import nn
from torch.utils.hooks import RemovableHandle

from eossl.registry import HOOKS

from .schedule import unwrap

SKIPPED = ('backbone', 'data_preprocessor')  # checked by BandCheckHook / no features


class WidthMismatchError(ValueError):
    """A neck or head layer receives features of another width than it was built for."""


def expected_and_received(layer: nn.Module, x: torch.Tensor,
                          data_format: str = 'channel_first') -> tuple[int, int] | None:
    """``(width the layer was built for, width of x)`` for layers with a fixed input width
    (``data_format``: what mmpretrain's ``LayerNorm2d`` was called with)."""
    if isinstance(layer, nn.Linear):
        return layer.in_features, x.shape[-1]
    if isinstance(layer, nn.modules.conv._ConvNd | nn.modules.batchnorm._NormBase) and x.dim() > 1:
        return getattr(layer, 'in_channels', getattr(layer, 'num_features', None)), x.shape[1]
    if isinstance(layer, nn.LayerNorm) and layer.normalized_shape:
        channels_first = isinstance(layer, LayerNorm2d) and data_format == 'channel_first'
        return layer.normalized_shape[-1], x.shape[1] if channels_first else x.shape[-1]
    return None


def config_key(model_cfg: Mapping, path: str) -> str | None:
    """The longest run of ``path``'s parts naming a component dict (with ``type``) in the
    recipe's ``model``, e.g. ``heads.sentinel2`` for ``heads.sentinel2.proj``."""
    parts = path.split('.')
    for start in range(len(parts)):
        node, best = model_cfg, None
        for end in range(start, len(parts)):
            node = node.get(parts[end]) if isinstance(node, Mapping) else None
            if not isinstance(node, Mapping):
                break
            if 'type' in node:
                best = '.'.join(parts[start:end + 1])
        if best:
            return best
    return None


def checked_layers(model: nn.Module, model_cfg: Mapping
                   ) -> Iterator[tuple[str, nn.Module, str | None]]:
    """``(path, layer, config key)`` of every fixed-width layer outside the backbones and the
    preprocessor. A copy of a student part (an EMA teacher's ``teacher.module.projector``) gets
    the key of the student layer whose path ends like its own (``head.projector``)."""
    layers = {path: layer for path, layer in model.named_modules()
              if not any(skip in part for part in path.split('.') for skip in SKIPPED)
              and isinstance(layer, nn.Linear | nn.modules.conv._ConvNd | nn.LayerNorm
                             | nn.modules.batchnorm._NormBase)}
    keys = {path: config_key(model_cfg, path) for path in layers}
    for path, layer in layers.items():
        key, parts = keys[path], path.split('.')
        for start in range(1, len(parts)):
            if key is not None:
                break
            suffix = '.' + '.'.join(parts[start:])
            key = next((k for p, k in keys.items() if k and p.endswith(suffix)), None)
        yield path, layer, key


def in_channels_fields(node, key: str = '') -> list[tuple[str, object]]:
    """``(dotted key, value)`` of every ``in_channels`` in a config tree."""
    if not isinstance(node, Mapping):
        return []
    found = [(f'{key}in_channels', node['in_channels'])] if 'in_channels' in node else []
    return found + [f for name, value in node.items()
                    for f in in_channels_fields(value, f'{key}{name}.')]


def mismatch_message(path: str, layer: nn.Module, expected: int, got: int, key: str | None,
                     model_cfg: Mapping) -> str:
    """Name the component, its config field and the widths."""
    component = model_cfg
    for part in key.split('.') if key else ():
        component = component[part]
    if key:
        field = (f'model.{key}.in_channels' if 'in_channels' in component
                 else f'the input width of model.{key}')
    else:  # a part built from other components' widths (MP-MAE's shared image_norm)
        fields = [f'model.{k}' for k, v in in_channels_fields(model_cfg) if v == expected]
        field = (f'the in_channels it is built from ({", ".join(fields[:4])}'
                 f'{", ..." * (len(fields) > 4)})' if fields else f'the input width of {path}')
    return (f'{path} ({type(layer).__name__}) was built for {expected}-wide inputs but receives '
            f'{got}-wide features (the output of what feeds it, usually the backbone). Set '
            f'{field} to {got}, or change the backbone back to a {expected}-wide output.')


@HOOKS.register_module()
class WidthCheckHook(Hook):
    """Check, at the first forward, the input width of every neck / head layer.

    A forward pre-hook on each fixed-width layer (``Linear``, convolutions, norms) outside the
    backbones compares its input's width with the one it was built for and raises
    :class:`WidthMismatchError` naming the layer, the recipe's config key of its component
    (``model.head.in_channels``) and both widths — before the first optimizer step. Each
    pre-hook removes itself after its first successful check, so training runs unhooked.
    """

    priority = 'NORMAL'

    def __init__(self) -> None:
        self._handles: dict[int, RemovableHandle] = {}

    def before_run(self, runner) -> None:
        """Install the one-shot width checks."""
        model_cfg = runner.cfg.get('model') or {}
        for path, layer, key in checked_layers(unwrap(runner.model), model_cfg):
            if id(layer) in self._handles:
                continue

            def check(module, args, kwargs, path=path, key=key) -> None:
                x = args[0] if args else None
                data_format = kwargs.get('data_format', args[1] if len(args) > 1 else
                                         'channel_first')
                widths = expected_and_received(module, x, data_format) \
                    if isinstance(x, torch.Tensor) else None
                if widths is not None and widths[0] is not None and widths[0] != widths[1]:
                    raise WidthMismatchError(
                        mismatch_message(path, module, *widths, key, model_cfg))
                self._handles.pop(id(module)).remove()

            self._handles[id(layer)] = layer.register_forward_pre_hook(check, with_kwargs=True)
