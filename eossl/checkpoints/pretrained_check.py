"""Check that a ``Pretrained`` checkpoint fits the module it initializes, before it is loaded.

mmengine's ``Pretrained`` initializer loads with ``strict=False``: a checkpoint pretrained on 13
bands put into a 12-band backbone only logs a size-mismatch warning and leaves the first layer
random, and a wrong ``prefix`` loads nothing at all. :func:`check_pretrained` turns those cases
into errors that name the file, the recipe field and both sides.
"""
import os
from collections.abc import Iterator, Mapping
from typing import Any

from mmengine.runner.checkpoint import CheckpointLoader
from torch import nn

from .backbone_extraction import first_layer, strip_prefix, unwrap_state_dict


class PretrainedMismatchError(ValueError):
    """A pretrained checkpoint does not fit the module its ``init_cfg`` initializes."""


def pretrained_inits(model: nn.Module) -> Iterator[tuple[str, nn.Module, dict]]:
    """``(recipe path, module, cfg)`` of every ``Pretrained`` entry in the modules' init_cfg.

    The path is the module's place in the recipe: ``'model'``, ``'model.backbone'``, ...
    """
    for name, module in model.named_modules():
        cfgs = getattr(module, 'init_cfg', None)
        for cfg in cfgs if isinstance(cfgs, list) else [cfgs]:
            if isinstance(cfg, dict) and cfg.get('type') in ('Pretrained', 'mmengine.Pretrained'):
                yield f'model.{name}' if name else 'model', module, cfg


def check_pretrained(module: nn.Module, checkpoint: str, prefix: str | None = None,
                     where: str = 'model') -> None:
    """Raise unless ``checkpoint`` (restricted to ``prefix``) loads into ``module``.

    Args:
        module: the module whose ``init_cfg`` names the checkpoint (usually the backbone).
        checkpoint: a local file path.
        prefix: the ``init_cfg`` prefix, e.g. ``'backbone.'``.
        where: the module's place in the recipe, for messages (``'model.backbone'``).

    Raises:
        FileNotFoundError: the file does not exist (or is a URL: eossl never downloads).
        PretrainedMismatchError: no checkpoint key (after ``prefix``) matches a module key; the
            first layer takes another number of bands than the module's; other shape
            mismatches (listed).
    """
    field = f'{where}.init_cfg.checkpoint'
    if '://' in str(checkpoint) or not os.path.isfile(checkpoint):
        raise FileNotFoundError(
            f'{field}={checkpoint!r}: no such local file. Make it with '
            'eossl-extract-backbone from a pretraining checkpoint (eossl '
            'never downloads weights), or fix the path in the recipe / --cfg-options')
    state = unwrap_state_dict(CheckpointLoader.load_checkpoint(checkpoint, map_location='cpu'))
    if prefix:
        state = strip_prefix(state, prefix)
        if not state:
            raise PretrainedMismatchError(f'{field}={checkpoint!r}: no key starts with prefix '
                                          f'{prefix!r} (set {where}.init_cfg.prefix to the '
                                          'prefix the file uses)')
    own = module.state_dict()
    if not set(state) & set(own):
        raise PretrainedMismatchError(
            f'{checkpoint}: none of its {len(state)} keys (e.g. {sorted(state)[:3]}) is a key of '
            f'the recipe\'s {where} {type(module).__name__} (e.g. {sorted(own)[:3]}); the file '
            'holds another architecture or needs another prefix')
    _check_first_layer(state, own, checkpoint, module, where)
    mismatched = [f'{k}: checkpoint {tuple(state[k].shape)} vs recipe {tuple(own[k].shape)}'
                  for k in own if k in state and state[k].shape != own[k].shape]
    if mismatched:
        more = f' (+{len(mismatched) - 5} more)' if len(mismatched) > 5 else ''
        raise PretrainedMismatchError(
            f'{checkpoint} does not fit the recipe\'s {where} {type(module).__name__}: '
            + '; '.join(mismatched[:5]) + more)


def _check_first_layer(state: Mapping[str, Any], own: Mapping[str, Any], checkpoint: str,
                       module: nn.Module, where: str) -> None:
    """The band-count error: a first layer's input channels differ on the two sides.

    A module with per-modality sub-backbones (``modalities``, e.g. ``('s1', 's2')`` of
    :class:`~eossl.models.backbones.DualModalityBackbone`) has one first layer per modality.
    """
    names = getattr(module, 'modalities', ())
    parts = [(f'{m}.', getattr(module, m)) for m in names] or [('', module)]
    for prefix, part in parts:
        layer = first_layer(strip_prefix(own, prefix))
        key = None if layer is None else prefix + layer[0]
        if key is None or key not in state or state[key].dim() != 4 or \
                state[key].shape[1] == layer[1]:
            continue
        named = getattr(part, 'bands', None)
        which = f' (bands={tuple(named)})' if named else ''
        raise PretrainedMismatchError(
            f'band count mismatch: {checkpoint} was pretrained on {state[key].shape[1]} input '
            f'bands (first layer {key} {tuple(state[key].shape)}), but the recipe\'s {where} '
            f'{type(module).__name__} takes {layer[1]}{which}. Load the bands the backbone was '
            'pretrained on (LoadMultiBandImage bands=..., FillMissingBands for a band the '
            'product lacks) and set in_channels/bands to match')
