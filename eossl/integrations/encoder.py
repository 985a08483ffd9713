"""The eossl encoder a toolkit adapter wraps: from a named weight or a recipe + checkpoint.

Every adapter (TerraTorch, torchgeo-bench, PANGAEA) takes the same two ways to say which
encoder: ``weights='softcon_vits14_s2'`` (the catalogue of :mod:`eossl.models.weights`) or
``config=RECIPE, checkpoint=FILE`` (any eossl recipe: a pretraining run's backbone, or a
downstream model's backbone); ``checkpoint=None`` keeps the recipe's random initialisation.
Backbone overrides (``out_indices``, ``out_type``) are applied to the config before building, so
each adapter gets the outputs it needs from the same weights.
"""
from pathlib import Path
from typing import Any

import torch
from torch import nn

from eossl.apis.model import EOInferenceModel, init_model
from eossl.checkpoints import safe_torch_load
from eossl.checkpoints.backbone_extraction import extract_backbone, strip_prefix
from eossl.models.backbones import EOVisionTransformer


def load_encoder(weights: str | None = None, config: str | Path | None = None,
                 checkpoint: str | Path | None = None, modality: str | None = None,
                 download: bool = False, **backbone_overrides: Any) -> EOInferenceModel:
    """An :class:`EOInferenceModel` (eval mode, CPU) whose ``feature_extractor`` is the encoder.

    Raises:
        ValueError: both or neither of ``weights`` / ``config`` given.
    """
    if (weights is None) == (config is None):
        raise ValueError('give exactly one of weights=NAME (eossl-list-weights) or '
                         f'config=RECIPE (+ checkpoint=FILE); got weights={weights!r}, '
                         f'config={config!r}')
    key = 'backbone' if modality is None else f'{modality}_backbone'
    options = {f'model.{key}.{name}': value for name, value in backbone_overrides.items()}
    if weights is not None:
        return init_model(weights, download=download, cfg_options=options)
    return init_model(config, checkpoint, modality=modality, cfg_options=options)


def pooled_features(backbone: nn.Module, x: torch.Tensor, pooling: str = 'auto') -> torch.Tensor:
    """``(B, C, H, W)`` normalised → ``(B, D)`` from the last output of ``backbone``.

    ``pooling``: ``'cls'`` (a ViT's normed CLS token; the ViT must be built with
    ``out_type='raw'``), ``'mean'`` (mean over the patch tokens / the feature map), ``'auto'``:
    ``'cls'`` for a ViT, ``'mean'`` otherwise.
    """
    is_vit = isinstance(backbone, EOVisionTransformer)
    mode = ('cls' if is_vit else 'mean') if pooling == 'auto' else pooling
    if mode not in ('cls', 'mean') or (mode == 'cls' and not is_vit):
        raise ValueError(f"pooling must be 'auto', 'mean' or (ViT) 'cls'; got {pooling!r} for "
                         f'{type(backbone).__name__}')
    out = backbone(x)
    last = out[-1] if isinstance(out, (tuple, list)) else out
    if is_vit:
        if last.dim() != 3:
            raise ValueError("pooled_features: build the ViT with out_type='raw'")
        return last[:, 0] if mode == 'cls' else \
            last[:, 1 + backbone.num_register_tokens:].mean(dim=1)
    return last.mean(dim=(2, 3)) if last.dim() == 4 else last


def checkpoint_backbone_state(path: str | Path,
                              modality: str | None = None) -> dict[str, torch.Tensor]:
    """The backbone tensors (no prefix) of an eossl checkpoint (training run, EMA teacher by
    default) or of a file from ``eossl-extract-backbone``."""
    state, _ = extract_backbone(safe_torch_load(path), modality=modality)
    return strip_prefix(state, 'backbone.')
