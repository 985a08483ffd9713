"""PANGAEA-bench ``Encoder`` for eossl encoders.

``configs/encoder/eossl.yaml`` (shipped as ``eossl/integrations/pangaea_conf/encoder/eossl.yaml``)
has ``_target_: eossl.integrations.pangaea.EOSSLEncoder``; copy it into pangaea-bench's
``configs/encoder/`` and run ``pangaea ... encoder=eossl encoder.encoder_weights=NAME``.

The contract of ``pangaea/encoders/base.py``: constructor arguments from the yaml, then
``load_encoder_weights(logger)``; ``input_bands`` maps a modality (``'optical'``, ``'sar'``) to
band names, which PANGAEA uses to select and order the dataset's bands; ``forward({modality:
(B, C, H, W) or (B, C, 1, H, W)})`` returns one ``(B, output_dim[i], H_i, W_i)`` map per
``output_layers`` entry (ViT blocks: ``H / patch`` on the patch grid; CNN stages: a pyramid,
``pyramid_output=True``); ``freeze()``. pangaea-bench is not on PyPI: when it is importable the
class derives from its ``Encoder``, otherwise from ``nn.Module`` with the same attributes.
"""
from logging import Logger
from pathlib import Path
from typing import Any

import torch
from torch import nn

from eossl.apis.model import init_model
from eossl.models.weights import is_weights_name, load_weights, weights_recipe

from .band_mapping import channel_plan, select_channels
from .encoder import checkpoint_backbone_state

try:  # pangaea-bench installed from its repository
    from pangaea.encoders.base import Encoder as _PangaeaEncoder
except ImportError:  # the contract without the package (tests, eossl-only environments)
    _PangaeaEncoder = nn.Module

SAR_BANDS = ('VV', 'VH')


class EOSSLEncoder(_PangaeaEncoder):
    """An eossl backbone as a PANGAEA encoder (see the module docstring).

    Args:
        encoder_weights: a named weight (``eossl-list-weights``) or an eossl checkpoint file
            (then give ``config``).
        input_size: the image side PANGAEA feeds (``${dataset.img_size}``).
        output_layers: ViT block indices or CNN stage indices (0-3) whose maps are returned.
        config: the recipe of an eossl checkpoint; None for a named weight.
        input_bands: ``{modality: [bands]}``; default: the encoder's own bands under
            ``'sar'`` (VV/VH encoders) or ``'optical'``. Other bands or orders are routed to the
            encoder's bands by name (absent ones are zero, the mean after normalisation).
        output_dim: optional; checked against the maps' channels when given.
        download: a named weight not on this machine is fetched (hub cache).
        modality: Dual-SimCLR checkpoints: ``'s1'`` or ``'s2'``.
        download_url: PANGAEA's own download; eossl leaves it empty (``download`` instead).
    """

    def __init__(self, encoder_weights: str | Path, input_size: int, output_layers: list[int],
                 config: str | Path | None = None,
                 input_bands: dict[str, list[str]] | None = None,
                 output_dim: int | list[int] | None = None, download: bool = False,
                 modality: str | None = None, download_url: str = '',
                 model_name: str = 'eossl', **_kwargs: Any) -> None:
        named = is_weights_name(str(encoder_weights))
        if not named and config is None:
            raise ValueError(f'EOSSLEncoder: encoder_weights={encoder_weights!r} is neither a '
                             'named weight (eossl-list-weights) nor given with its config')
        recipe = weights_recipe(str(encoder_weights)) if named else config
        layers = [int(i) for i in output_layers]
        probe = init_model(recipe, modality=modality,
                           cfg_options=_layer_options(recipe, layers, modality))
        backbone, bands = probe.feature_extractor, probe.bands
        with torch.no_grad():
            maps = backbone(torch.zeros(1, len(bands), input_size, input_size))
        dims = [int(m.shape[1]) for m in maps]
        if output_dim is not None:
            wanted = [output_dim] * len(layers) if isinstance(output_dim, int) else output_dim
            if list(wanted) != dims:
                raise ValueError(f'EOSSLEncoder: output_dim {output_dim} in the yaml, but '
                                 f'layers {layers} of {encoder_weights} give {dims} channels')
        if input_bands is None:
            input_bands = {'sar' if set(bands) <= set(SAR_BANDS) else 'optical': list(bands)}
        contract = dict(model_name=model_name, input_bands=dict(input_bands),
                        input_size=input_size, embed_dim=dims[-1], output_layers=layers,
                        output_dim=dims, multi_temporal=False, multi_temporal_output=False,
                        pyramid_output=len(set(m.shape[-1] for m in maps)) > 1,
                        encoder_weights=str(encoder_weights), download_url=download_url)
        if _PangaeaEncoder is nn.Module:
            super().__init__()
            for key, value in contract.items():
                setattr(self, key, value)
        else:
            super().__init__(**contract)
        self.backbone, self.bands = backbone, tuple(bands)
        self.weights_source = (str(encoder_weights), named, modality, download)
        available = [band for group in self.input_bands.values() for band in group]
        self.index, self.missing = channel_plan(available, self.bands, 'EOSSLEncoder')

    def load_encoder_weights(self, logger: Logger) -> None:
        """Load ``encoder_weights`` strictly (a named weight, or the backbone of a checkpoint)."""
        source, named, modality, download = self.weights_source
        state = (load_weights(source, download) if named
                 else checkpoint_backbone_state(source, modality))
        try:
            self.backbone.load_state_dict(state, strict=True)
        except RuntimeError as err:
            raise ValueError(f'EOSSLEncoder: {source} does not fit the backbone: {err}') from err
        logger.info(f'EOSSLEncoder: loaded {source} ({len(state)} tensors)')
        if self.missing:
            logger.warning(f'EOSSLEncoder: input_bands lack {self.missing}; those are zero')

    def enforce_single_temporal(self) -> None:
        """Single-temporal already (PANGAEA calls this for its multi-temporal wrappers)."""

    def freeze(self) -> None:
        """Freeze the encoder's parameters (PANGAEA's linear-probe / frozen-encoder runs)."""
        for param in self.parameters():
            param.requires_grad = False

    def forward(self, x: dict[str, torch.Tensor]) -> list[torch.Tensor]:
        """``{modality: (B, C, H, W) or (B, C, 1, H, W)}`` in ``input_bands`` order →
        ``[(B, output_dim[i], H_i, W_i)]``."""
        images = torch.cat([x[m].squeeze(2) if x[m].dim() == 5 else x[m]
                            for m in self.input_bands], dim=1)
        return list(self.backbone(select_channels(images, self.index)))


def _layer_options(recipe: Any, layers: list[int], modality: str | None) -> dict[str, Any]:
    """``cfg_options`` that make the recipe's backbone return ``layers`` as feature maps."""
    from eossl.apis.model import load_config
    cfg = load_config(recipe)
    key = 'backbone' if modality is None else f'{modality}_backbone'
    options: dict[str, Any] = {f'model.{key}.out_indices': tuple(layers)}
    if 'VisionTransformer' in str(cfg.model[key].get('type', '')):
        options[f'model.{key}.out_type'] = 'featmap'
    return options
