"""Start a wavelength stem from a fixed-stem checkpoint: fit its generator to the fixed kernels.

A fixed first layer ``W`` ``(O, C, k, k)`` (e.g. the official SoftCon ViT-S/14's 13-band
``patch_embed.proj``, DINOv2's RGB one, an eossl ResNet's ``conv1``) names, per band, the kernel
the generator of a :class:`~eossl.models.backbones.WavelengthConv2d` should produce. The
generator's last layer is linear in its hidden features ``h(band)``, so with C ≤ ``hidden_dims``
bands it can reproduce every kernel exactly: :func:`fit_wavelength_conv` solves that layer by
least squares (minimum norm, the hidden layers kept as initialised) — no training, no data, and
the wavelength stem then gives the fixed stem's output on those bands up to float rounding. Bands
the checkpoint never saw get the kernels the fitted layer interpolates from their descriptors
(meaningful near the fitted wavelengths, a starting point elsewhere).

Use it as an ``init_cfg`` (``dict(type='WavelengthFromFixedPretrained', checkpoint=PATH,
bands=(...))``) or offline: ``eossl-fit-wavelength-stem``.
"""
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from mmengine.logging import print_log
from mmengine.model.weight_init import update_init_info
from torch import nn

from eossl.registry import WEIGHT_INITIALIZERS

from .band_encoding import band_descriptors
from .band_routing import wavelength_stems
from .channel_inflation import StateDict, read_state_dict, resize_pos_embed


@torch.no_grad()
def fit_wavelength_conv(stem: nn.Module, weight: torch.Tensor, bands: Sequence[str],
                        bias: torch.Tensor | None = None) -> float:
    """Fit ``stem``'s generator so that its weight for ``bands`` equals ``weight``.

    Args:
        stem: a :class:`~eossl.models.backbones.WavelengthConv2d`.
        weight: the fixed kernels ``(O, C, k, k)``, band ``i`` = ``bands[i]``.
        bands: the C band names of the fixed layer.
        bias: the fixed bias ``(O,)``, copied when the stem has one.

    Returns:
        The largest absolute difference between the fitted and the fixed weight.

    Raises:
        ValueError: shapes that do not match the stem, or more bands than hidden features.
    """
    out, k = stem.out_channels, stem.kernel_size
    if weight.dim() != 4 or weight.shape[0] != out or weight.shape[1] != len(bands) or \
            tuple(weight.shape[2:]) != (k, k):
        raise ValueError(f'fit_wavelength_conv: weight {tuple(weight.shape)} must be '
                         f'({out}, {len(bands)}, {k}, {k}) for bands {tuple(bands)}')
    last = stem.generator[-1]
    if len(bands) > last.in_features:
        raise ValueError(f'fit_wavelength_conv: {len(bands)} bands exceed the generator width '
                         f'{last.in_features}; raise hidden_dims')
    names = stem.normalize_bands(bands)
    # band kernels before the reduction: the mean divides by C, so they are C·W
    target = weight.transpose(0, 1).reshape(len(names), -1).to(last.weight)
    target = target * (len(names) if stem.reduction == 'mean' else 1)
    hidden = stem.generator[:-1](_descriptors(stem, names).to(last.weight))  # (C, H)
    design = torch.cat([hidden, torch.ones_like(hidden[:, :1])], dim=1)  # (C, H + 1)
    solution = torch.linalg.lstsq(design.double(), target.double(),
                                  driver='gelsd').solution  # (H + 1, O·k·k)
    last.weight.copy_(solution[:-1].T.to(last.weight))
    last.bias.copy_(solution[-1].to(last.bias))
    if bias is not None and stem.bias is not None:
        stem.bias.copy_(bias.to(stem.bias))
    return (stem.weight_for(names) - weight.to(last.weight)).abs().max().item()


def _descriptors(stem: nn.Module, bands: tuple[str, ...]) -> torch.Tensor:
    """Band descriptors ``(C, F)`` of ``bands`` as ``stem`` encodes them."""
    return band_descriptors(bands, stem.num_frequencies, stem.extra_bands)


def _stem_names(model: nn.Module) -> dict[str, nn.Module]:
    """``{module name: stem}`` of the wavelength stems of ``model``."""
    stems = set(map(id, wavelength_stems(model)))
    return {name: m for name, m in model.named_modules() if id(m) in stems}


def load_fixed_stem_checkpoint(model: nn.Module, state_dict: StateDict | str | Path,
                               bands: Sequence[str] | None = None, prefix: str | None = None,
                               tolerance: float = 1e-4) -> dict[str, float]:
    """Load a fixed-stem checkpoint into ``model`` whose stems are wavelength stems.

    Every wavelength stem at module path ``name`` takes the fixed layer ``name.weight`` (and
    ``name.bias``) of the checkpoint through :func:`fit_wavelength_conv`; every other tensor
    loads unchanged and strictly (the module paths are those of the fixed backbone:
    ``patch_embed.proj``, ``conv1``, ``initial_conv.0`` / ``stem.0``); a ViT position embedding
    of another grid (DINOv2's 37×37) is resized to the model's, as for RGB inflation.

    Args:
        model: a backbone built with ``patch_embed='wavelength'``.
        state_dict: the fixed-stem weights (mapping or local file; ``state_dict`` / ``model``
            wrappers unwrapped).
        bands: the fixed layer's bands in order; default each stem's default bands.
        prefix: keep only keys with this prefix (stripped), e.g. ``'backbone.'``.
        tolerance: largest allowed weight difference after fitting.

    Returns:
        ``{stem name: largest weight difference}``.

    Raises:
        ValueError: no wavelength stem, missing / unexpected / mismatched keys, or a fit worse
            than ``tolerance``.
    """
    state = read_state_dict(state_dict, prefix)
    stems = _stem_names(model)
    if not stems:
        raise ValueError(f'load_fixed_stem_checkpoint: {type(model).__name__} has no wavelength '
                         "stem; build it with patch_embed='wavelength'")
    errors = {}
    for name, stem in stems.items():
        key = f'{name}.weight'
        if key not in state:
            raise ValueError(f'load_fixed_stem_checkpoint: checkpoint has no {key!r} for the '
                             f'wavelength stem {name!r}')
        errors[name] = fit_wavelength_conv(stem, state.pop(key),
                                           bands if bands is not None else stem.default_bands,
                                           state.pop(f'{name}.bias', None))
        if errors[name] > tolerance:
            raise ValueError(f'load_fixed_stem_checkpoint: stem {name!r} reproduces the fixed '
                             f'weight only to {errors[name]:.2e} > {tolerance:.0e}')
    own = {k: v for k, v in model.state_dict().items()
           if not any(k.startswith(f'{n}.') for n in stems)}
    pos = state.get('pos_embed')
    if pos is not None and 'pos_embed' in own and pos.shape != own['pos_embed'].shape:
        side = round((own['pos_embed'].shape[1] - 1) ** 0.5)  # e.g. DINOv2's 37x37 grid
        state['pos_embed'] = resize_pos_embed(pos, (side, side))
    missing, unexpected = sorted(set(own) - set(state)), sorted(set(state) - set(own))
    mismatched = [k for k in set(own) & set(state) if own[k].shape != state[k].shape]
    if missing or unexpected or mismatched:
        raise ValueError(f'load_fixed_stem_checkpoint: checkpoint does not fit '
                         f'{type(model).__name__}: missing {missing[:8]}, unexpected '
                         f'{unexpected[:8]}, shape mismatch {sorted(mismatched)[:8]}')
    model.load_state_dict(OrderedDict(state), strict=False)  # the stems were fitted above
    return errors


@WEIGHT_INITIALIZERS.register_module(name='WavelengthFromFixedPretrained')
class WavelengthFromFixedPretrainedInit:
    """``init_cfg=dict(type='WavelengthFromFixedPretrained', checkpoint=PATH, bands=(...))``.

    Runs :func:`load_fixed_stem_checkpoint` on the module whose ``init_cfg`` it is (a backbone
    with ``patch_embed='wavelength'``); arguments are those of the function.
    """

    def __init__(self, checkpoint: str, bands: Sequence[str] | None = None,
                 prefix: str | None = None, tolerance: float = 1e-4) -> None:
        self.checkpoint = checkpoint
        self.kwargs: dict[str, Any] = dict(bands=bands, prefix=prefix, tolerance=tolerance)

    def __call__(self, module: nn.Module) -> None:
        """Load into ``module`` (see the class docstring)."""
        errors = load_fixed_stem_checkpoint(module, self.checkpoint, **self.kwargs)
        if hasattr(module, '_params_init_info'):
            update_init_info(module, init_info=f'WavelengthFromFixedPretrained: {self.checkpoint}')
        print_log(f'WavelengthFromFixedPretrained: loaded {self.checkpoint} into '
                  f'{type(module).__name__}; stems fitted to the fixed kernels (max error '
                  f'{max(errors.values()):.1e})', logger='current')

