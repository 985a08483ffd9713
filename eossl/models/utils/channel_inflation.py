"""Start a C-band backbone from an RGB checkpoint: rebuild the first layer, load the rest as is.

Continual pretraining (SoftCon) starts a 13-band or 2-band backbone from RGB weights (DINOv2 for
a ViT, ImageNet/DINO for a ResNet-50). Only the first layer sees the bands: the ViT's
``patch_embed.proj`` or the ResNet's ``conv1``, a convolution weight ``(O, 3, k, k)``. It is
rebuilt for C bands, every other weight loads unchanged (a stored position-embedding grid of
another size, e.g. DINOv2's 37×37 for 518 px, is resized to the model's grid).

Strategies for the first layer ``W`` (RGB kernels ``W_R, W_G, W_B``, mean ``W̄``):

- ``'copy'``, ``fill='mean'`` (default): ``W_R, W_G, W_B`` go to the bands named in
  ``rgb_bands`` (Sentinel-2 ``B4, B3, B2``, matched by name), every other band gets ``W̄``, and
  then EVERY kernel is multiplied by ``3 / C``. Why all of them: the response to an input whose C
  standardized bands are identical (perfectly correlated, a first-order model of reflectance
  bands) becomes ``(3 / C)·(3·W̄ + (C − 3)·W̄) ∗ x = (W_R + W_G + W_B) ∗ x``, exactly the RGB
  layer's response to ``R = G = B = x``; so its mean and variance are kept. Scaling only the
  filled kernels cannot keep them (any non-zero fill adds variance on top of the RGB kernels).
- ``'copy'``, ``fill='zero'``: RGB kernels copied unscaled, other bands zero: an input carrying
  an RGB image in ``rgb_bands`` (zeros elsewhere) reproduces the RGB model exactly.
- ``'random'``: nothing comes from the RGB kernels; the C-band weight is drawn like PyTorch's
  default ``Conv2d`` init, ``U(−1/√fan_in, 1/√fan_in)`` with ``fan_in = C·k·k`` (SAR input, whose
  bands have no RGB counterpart). The bias, if any, still loads.
"""
from collections import OrderedDict
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from mmengine.logging import print_log
from mmengine.model.weight_init import update_init_info
from torch import nn

from eossl.checkpoints.safe_load import safe_torch_load
from eossl.datasets.bands import normalize_band_name
from eossl.registry import WEIGHT_INITIALIZERS

RGB_BANDS = ('B4', 'B3', 'B2')  # Sentinel-2 red, green, blue: where R, G, B kernels go
FIRST_LAYER_KEYS = ('patch_embed.proj.weight', 'conv1.weight')  # eossl ViT, ResNet
STRATEGIES = ('copy', 'random')
FILLS = ('mean', 'zero')
StateDict = Mapping[str, torch.Tensor]


def inflate_rgb_weight(weight: torch.Tensor, bands: Sequence[str], strategy: str = 'copy',
                       fill: str = 'mean', rgb_bands: Sequence[str] = RGB_BANDS) -> torch.Tensor:
    """First-layer weight ``(O, 3, k, k)`` (R, G, B order) → ``(O, C, k, k)`` for ``bands``.

    See the module docstring for the strategies and the exact ``3 / C`` scaling.

    Raises:
        ValueError: a weight that is not ``(O, 3, k, k)``, an unknown strategy/fill, or ``'copy'``
            with bands that do not contain every band of ``rgb_bands``.
    """
    if weight.dim() != 4 or weight.shape[1] != 3:
        raise ValueError(f'inflate_rgb_weight: expected an RGB weight (O, 3, k, k), got '
                         f'{tuple(weight.shape)}')
    if strategy not in STRATEGIES or fill not in FILLS:
        raise ValueError(f'inflate_rgb_weight: strategy must be one of {STRATEGIES} and fill one '
                         f'of {FILLS}, got strategy={strategy!r}, fill={fill!r}')
    names = [normalize_band_name(b) for b in bands]
    out_shape = (weight.shape[0], len(names), *weight.shape[2:])
    if strategy == 'random':
        bound = 1.0 / (len(names) * weight.shape[2] * weight.shape[3]) ** 0.5
        return torch.empty(out_shape, dtype=weight.dtype).uniform_(-bound, bound)
    rgb = [normalize_band_name(b) for b in rgb_bands]
    missing = [b for b in rgb if b not in names]
    if len(rgb) != 3 or missing:
        raise ValueError(f"inflate_rgb_weight: strategy 'copy' needs the 3 RGB bands {rgb} among "
                         f'the bands {names}; missing {missing} (use strategy="random" for '
                         'inputs without RGB bands, e.g. SAR)')
    if fill == 'zero':
        out = weight.new_zeros(out_shape)
    else:
        out = weight.mean(dim=1, keepdim=True).expand(out_shape).clone()
    for source, band in enumerate(rgb):
        out[:, names.index(band)] = weight[:, source]
    return out * (3.0 / len(names)) if fill == 'mean' else out


def resize_pos_embed(pos_embed: torch.Tensor, grid: tuple[int, int], num_prefix: int = 1,
                     mode: str = 'bicubic') -> torch.Tensor:
    """Position embedding ``(1, P + h0·w0, D)`` → ``(1, P + h·w, D)`` on a new patch ``grid``.

    The ``P = num_prefix`` leading entries (CLS) are kept; the square stored grid is
    interpolated (as DINOv2 does at run time, here once when loading).
    """
    prefix, patches = pos_embed[:, :num_prefix], pos_embed[:, num_prefix:]
    side = round(patches.shape[1] ** 0.5)
    if side * side != patches.shape[1]:
        raise ValueError(f'resize_pos_embed: {patches.shape[1]} patch positions do not form a '
                         'square grid')
    patches = patches.reshape(1, side, side, -1).permute(0, 3, 1, 2).float()
    patches = F.interpolate(patches, size=grid, mode=mode, align_corners=False)
    patches = patches.flatten(2).transpose(1, 2).to(pos_embed.dtype)
    return torch.cat([prefix, patches], dim=1)


def read_state_dict(source: StateDict | str | Path, prefix: str | None = None) -> dict:
    """A flat ``{name: tensor}`` from a mapping, a local file (never a URL) or a named weight.

    A file is read with ``torch.load(weights_only=True)``; a ``{'state_dict': ...}`` or
    ``{'model': ...}`` wrapper is unwrapped. ``'weights://NAME'`` reads the local file of a named
    weight (:mod:`eossl.models.weights`; keys under ``backbone.``). With ``prefix`` (e.g.
    ``'backbone.'``) only the keys that start with it are kept, without it.
    """
    if isinstance(source, str) and source.startswith('weights://'):
        from eossl.models.weights import SCHEME, weights_checkpoint
        source = weights_checkpoint(source[len(SCHEME):])
    elif isinstance(source, (str, Path)):
        path = Path(source)
        if not path.is_file():
            raise FileNotFoundError(f'RGB checkpoint {path} does not exist (eossl never downloads '
                                    'weights: put the file there first)')
        source = dict(safe_torch_load(path))
    for wrapper in ('state_dict', 'model'):
        if isinstance(source.get(wrapper), Mapping):  # type: ignore[union-attr]
            source = source[wrapper]  # type: ignore[index]
    state = dict(source)  # type: ignore[arg-type]
    if prefix:
        state = {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}
        if not state:
            raise ValueError(f'RGB checkpoint has no key starting with {prefix!r}')
    return state


def _first_layer_key(model: nn.Module, state: dict, first_layer: str | None) -> str:
    """The first-layer weight name: ``first_layer`` or the known name both sides have."""
    own = model.state_dict()
    candidates = [first_layer] if first_layer else [k for k in FIRST_LAYER_KEYS if k in own]
    for key in candidates:
        if key in own and key in state:
            return key
    raise ValueError(f'load_rgb_checkpoint_inflated: no first-layer weight among {candidates} in '
                     'both the model and the checkpoint; name it with first_layer=...')


def _describe(keys: Collection[str], limit: int = 8) -> str:
    keys = sorted(keys)
    more = f' … (+{len(keys) - limit} more)' if len(keys) > limit else ''
    return ', '.join(keys[:limit]) + more


def load_rgb_checkpoint_inflated(model: nn.Module, state_dict: StateDict | str | Path,
                                 bands: Sequence[str] | None = None, strategy: str = 'copy',
                                 fill: str = 'mean', rgb_bands: Sequence[str] = RGB_BANDS,
                                 prefix: str | None = None, drop_prefixes: Sequence[str] = (),
                                 first_layer: str | None = None) -> None:
    """Load an RGB checkpoint into a C-band ``model``, rebuilding its first layer.

    Args:
        model: an :class:`~eossl.models.backbones.EOVisionTransformer` or
            :class:`~eossl.models.backbones.EOResNet` (or any module with the same key names).
        state_dict: the RGB weights (mapping or local file), e.g. DINOv2's
            ``dinov2_vits14_pretrain.pth`` or torchvision's ``resnet50`` state dict.
        bands: the model's input bands in order; default ``model.bands``.
        strategy / fill / rgb_bands: see the module docstring.
        prefix: keep only checkpoint keys with this prefix (stripped), e.g. ``'backbone.'``.
        drop_prefixes: checkpoint keys to leave out, e.g. ``('fc.',)`` for a torchvision
            classifier head.
        first_layer: the first-layer weight name when it is not one of ``FIRST_LAYER_KEYS``.

    Raises:
        ValueError: listing missing keys, unexpected keys and shape mismatches (nothing is
            loaded then), or a bad strategy/band list.
    """
    bands = bands if bands is not None else getattr(model, 'bands', None)
    if not bands:
        raise ValueError(f'load_rgb_checkpoint_inflated: give bands; {type(model).__name__} '
                         'has no band names')
    state = read_state_dict(state_dict, prefix)
    state = {k: v for k, v in state.items() if not k.startswith(tuple(drop_prefixes))}
    key = _first_layer_key(model, state, first_layer)
    state[key] = inflate_rgb_weight(state[key], bands, strategy, fill, rgb_bands)
    own = model.state_dict()
    pos = state.get('pos_embed')
    if pos is not None and 'pos_embed' in own and pos.shape != own['pos_embed'].shape:
        side = round((own['pos_embed'].shape[1] - 1) ** 0.5)
        state['pos_embed'] = resize_pos_embed(pos, (side, side))
    missing, unexpected = set(own) - set(state), set(state) - set(own)
    mismatched = [f'{k} {tuple(state[k].shape)} vs model {tuple(own[k].shape)}'
                  for k in set(own) & set(state) if state[k].shape != own[k].shape]
    if missing or unexpected or mismatched:
        problems = [f'{name}: {_describe(keys)}' for name, keys in
                    (('missing in checkpoint', missing), ('unexpected in checkpoint', unexpected),
                     ('shape mismatch', mismatched)) if keys]
        raise ValueError(f'load_rgb_checkpoint_inflated: checkpoint does not fit '
                         f'{type(model).__name__}: ' + '; '.join(problems))
    model.load_state_dict(OrderedDict(state), strict=True)


@WEIGHT_INITIALIZERS.register_module(name='RGBInflatedPretrained')
class RGBInflatedPretrainedInit:
    """``init_cfg=dict(type='RGBInflatedPretrained', checkpoint=PATH, strategy='copy')``.

    Runs :func:`load_rgb_checkpoint_inflated` on the module whose ``init_cfg`` it is (normally a
    backbone), strictly, unlike mmengine's ``Pretrained`` (``strict=False``). Arguments are those
    of the function (``checkpoint`` is its ``state_dict``).

    mmengine runs initializers of another type than ``'Pretrained'`` BEFORE a module's own
    post-init steps, and mmpretrain's ``ResNet.init_weights`` then zeroes the last BN of each
    block when ``zero_init_residual=True``: such a backbone is refused with a clear error.
    """

    def __init__(self, checkpoint: str, strategy: str = 'copy', fill: str = 'mean',
                 bands: Sequence[str] | None = None, rgb_bands: Sequence[str] = RGB_BANDS,
                 prefix: str | None = None, drop_prefixes: Sequence[str] = (),
                 first_layer: str | None = None) -> None:
        self.checkpoint = checkpoint
        self.kwargs: dict[str, Any] = dict(
            bands=bands, strategy=strategy, fill=fill, rgb_bands=rgb_bands, prefix=prefix,
            drop_prefixes=drop_prefixes, first_layer=first_layer)

    def __call__(self, module: nn.Module) -> None:
        """Load into ``module`` (see the class docstring)."""
        if getattr(module, 'zero_init_residual', False):
            raise ValueError(f'RGBInflatedPretrained: set zero_init_residual=False on '
                             f'{type(module).__name__}, otherwise its init_weights zeroes the '
                             'loaded norm3 weights after this initializer has run')
        load_rgb_checkpoint_inflated(module, self.checkpoint, **self.kwargs)
        if hasattr(module, '_params_init_info'):  # mmengine's record of how each weight began
            update_init_info(module, init_info=f'RGBInflatedPretrained: {self.checkpoint}')
        print_log(f'RGBInflatedPretrained: loaded {self.checkpoint} into '
                  f'{type(module).__name__} (first layer: {self.kwargs["strategy"]}, '
                  f'fill {self.kwargs["fill"]})', logger='current')
