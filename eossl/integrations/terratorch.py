"""eossl backbones in TerraTorch's backbone registry (``pip install 'eossl[terratorch]'``).

Every name is ``eossl_<name>`` in ``terratorch.BACKBONE_REGISTRY`` (the ``eossl`` source):

- architectures — ``eossl_vit_small`` / ``eossl_vit_base`` (EO ViT, patch 14, DINOv2 / SoftCon
  layout), ``eossl_resnet18`` / ``eossl_resnet50`` (EO ResNet), ``eossl_convnextv2_atto`` /
  ``eossl_convnextv2_tiny`` (the MP-MAE FCMAE encoder), ``eossl_swin_tiny`` (mmpretrain Swin-T,
  the Dual-SimCLR one): random weights, or ``ckpt_path`` = an eossl checkpoint, or
  ``weights`` = a named weight;
- every named weight of ``eossl-list-weights`` — ``eossl_softcon_vits14_s2``, your registered
  checkpoints: their architecture and bands, loaded when ``pretrained=True``.

Bands are declared by name (``model_bands``: TerraTorch ``HLSBands`` or strings such as
``'B04'``, ``'RED'``, ``'VV'``); the input channels are routed to the encoder's bands by name
(eossl's band table), bands the data lacks are zero (their mean after normalisation). The module
returns one ``(B, D_i, h_i, w_i)`` map per ``out_indices`` entry and exposes ``out_channels``,
as TerraTorch's ``EncoderDecoderFactory`` requires (no neck needed, ViT included).

Registration happens on import of this module, and — for an installed eossl — automatically
when TerraTorch's registry is first imported (``eossl_config_lookup``'s start-up hook), so a
``terratorch fit`` config names ``backbone: eossl_vit_small`` and nothing else of eossl.
"""
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import torch
from mmengine.registry import DefaultScope
from torch import nn

from eossl.datasets.bands import band_names
from eossl.models.weights import get_weights, list_weights, load_weights
from eossl.registry import MODELS

from .band_mapping import channel_plan, eossl_band_name, select_channels
from .encoder import checkpoint_backbone_state

PREFIX = 'eossl'
_VIT = dict(type='eossl.EOVisionTransformer', img_size=224, patch_size=14,
            layer_scale_init_value=1e-5, num_register_tokens=0, out_type='featmap')
ARCHITECTURES: dict[str, dict[str, Any]] = {
    'vit_small': dict(_VIT, arch='small', out_indices=(3, 5, 7, 11)),
    'vit_base': dict(_VIT, arch='base', out_indices=(3, 5, 7, 11)),
    'resnet18': dict(type='eossl.EOResNet', depth=18, out_indices=(0, 1, 2, 3)),
    'resnet50': dict(type='eossl.EOResNet', depth=50, out_indices=(0, 1, 2, 3)),
    'convnextv2_atto': dict(type='eossl.ConvNeXtV2FCMAE', arch='atto', patch_size=16,
                            stem_type='mmearth', out_indices=(0, 1, 2, 3)),
    'convnextv2_tiny': dict(type='eossl.ConvNeXtV2FCMAE', arch='tiny', patch_size=16,
                            stem_type='mmearth', out_indices=(0, 1, 2, 3)),
    # pad_small_map: inputs below 224 px (the last stage under one 7x7 window) still run
    'swin_tiny': dict(type='mmpretrain.SwinTransformer', arch='tiny', img_size=224,
                      out_indices=(0, 1, 2, 3), pad_small_map=True),
}
DEFAULT_BANDS = band_names('s2_l1c')


class EOSSLTerraTorchBackbone(nn.Module):
    """An eossl backbone as a TerraTorch backbone: ``(B, C_data, H, W)`` → list of maps.

    Attributes:
        backbone: the eossl / mmpretrain module.
        bands: the encoder's band names (model order).
        index: for each encoder band, its channel in the input (-1: absent, fed zeros).
        out_channels: channels of each returned map.
    """

    def __init__(self, backbone: nn.Module, bands: Sequence[str],
                 model_bands: Sequence[object]) -> None:
        super().__init__()
        self.backbone, self.bands = backbone, tuple(bands)
        self.index, self.missing = channel_plan(model_bands, self.bands, 'eossl backbone')
        size = getattr(backbone, 'img_size', 224)
        size = size[0] if isinstance(size, (tuple, list)) else int(size)
        was_training = backbone.training
        backbone.eval()  # mmpretrain's Swin.train() returns None: no chaining
        with torch.no_grad():
            probe = list(backbone(torch.zeros(1, len(self.bands), size, size)))
        backbone.train(was_training)
        self.out_channels = [int(o.shape[1]) for o in probe]

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        """``(B, C_data, H, W)`` normalised → ``[(B, D_i, h_i, w_i)]`` per ``out_indices``."""
        return list(self.backbone(select_channels(x, self.index)))


def build_eossl_backbone(name: str, model_bands: Sequence[object] | None = None,
                         pretrained: bool = False, ckpt_path: str | Path | None = None,
                         weights: str | None = None, modality: str | None = None,
                         download: bool = False, **overrides: Any) -> EOSSLTerraTorchBackbone:
    """Build ``eossl_<name>`` (``name`` without the prefix); see the module docstring.

    Args:
        name: an architecture of ``ARCHITECTURES`` or a named weight.
        model_bands: the bands of the input, by name; default: the encoder's bands.
        pretrained: named weights: load them (architectures: load ``weights`` / ``ckpt_path``).
        ckpt_path: an eossl checkpoint (training run or extracted backbone) to load.
        weights: architectures: a named weight of the same architecture to load.
        modality: Dual-SimCLR checkpoints: ``'s1'`` or ``'s2'``.
        download: named weights not on this machine are fetched (hub cache).
        overrides: backbone config overrides (``out_indices``, ``drop_path_rate``, ...;
            ``bands`` names the encoder's own bands of an architecture).

    Raises:
        KeyError: an unknown name (listing the known ones).
    """
    if name in ARCHITECTURES:
        cfg = dict(ARCHITECTURES[name])
        bands = tuple(overrides.pop('bands', None) or
                      (get_weights(weights).bands if weights else DEFAULT_BANDS))
        if cfg['type'] in ('eossl.EOVisionTransformer', 'eossl.EOResNet'):
            cfg['bands'] = bands
        else:  # ConvNeXt V2 FCMAE and Swin take a channel count
            cfg['in_channels'] = len(bands)
        source = weights if pretrained or weights else None
    else:
        entry = get_weights(name)  # KeyError lists the names
        cfg, bands, source = dict(entry.backbone), entry.bands, name if pretrained else None
        if 'VisionTransformer' in cfg['type']:
            cfg.update(out_type='featmap', out_indices=(3, 5, 7, 11)
                       if cfg.get('arch') in ('small', 'base') else (-1, ))
        else:
            cfg['out_indices'] = (0, 1, 2, 3)
    cfg.update(overrides)
    with DefaultScope.overwrite_default_scope('eossl'):
        backbone = MODELS.build(cfg)
    state = (checkpoint_backbone_state(ckpt_path, modality) if ckpt_path is not None else
             load_weights(source, download) if source is not None else None)
    if state is not None:
        try:
            backbone.load_state_dict(state, strict=True)
        except RuntimeError as err:
            raise ValueError(f'eossl_{name}: {ckpt_path or source} does not fit the backbone '
                             f'{cfg["type"]}: {err}') from err
    model_bands = list(model_bands) if model_bands else list(bands)
    return EOSSLTerraTorchBackbone(backbone, bands, model_bands)


class EOSSLBackboneSource:
    """The ``eossl`` source of TerraTorch's ``BACKBONE_REGISTRY``: architectures and every
    named weight (the catalogue is read at each lookup, so newly registered weights appear)."""

    def _names(self) -> list[str]:
        return [*ARCHITECTURES, *(entry.name for entry in list_weights())]

    def __iter__(self) -> Iterator[str]:
        return iter(self._names())

    def __len__(self) -> int:
        return len(self._names())

    def __contains__(self, name: object) -> bool:
        return name in self._names()

    def __getitem__(self, name: str):
        if name not in self:
            raise KeyError(f'eossl has no backbone {name!r}; known: {self._names()}')
        return lambda **kwargs: build_eossl_backbone(name, **kwargs)

    def build(self, name: str, *args: Any, **kwargs: Any) -> EOSSLTerraTorchBackbone:
        """TerraTorch's registry call: ``build(name, **backbone_kwargs)``."""
        if args:
            raise TypeError(f'eossl_{name}: pass backbone arguments by name, got {args}')
        if name not in self:
            raise KeyError(f'eossl has no backbone {name!r}; known: {self._names()}')
        return build_eossl_backbone(name, **kwargs)

    def __repr__(self) -> str:
        return f'EOSSLBackboneSource({len(self)} backbones)'


EOSSL_BACKBONES = EOSSLBackboneSource()


def register(registry: Any = None) -> None:
    """Add the ``eossl`` source to TerraTorch's ``BACKBONE_REGISTRY`` (idempotent: a source
    already there, e.g. the start-up hook's lazy one, is kept; it delegates here)."""
    if registry is None:
        from terratorch.registry import BACKBONE_REGISTRY as registry  # type: ignore[no-redef]
    try:
        registry.register_source(PREFIX, EOSSL_BACKBONES)
    except KeyError:  # TerraTorch: "Source for prefix eossl already exists."
        pass


register()

__all__ = ['ARCHITECTURES', 'EOSSL_BACKBONES', 'EOSSLTerraTorchBackbone', 'build_eossl_backbone',
           'eossl_band_name', 'register']
