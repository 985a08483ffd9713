"""The encoder under evaluation: a backbone, its bands, its normalisation and its weights.

An encoder spec is an mmengine config file with

- ``backbone``: the backbone's config dict (e.g. ``eossl.EOVisionTransformer``);
- ``bands``: the band names of its first layer, in order;
- ``stats``: ``'source:sensor'`` of its pretraining normalisation (e.g.
  ``'ssl4eo_s12:s2_l1c'``) or None to standardise with each dataset's training statistics;
- ``img_size``: the input size the encoder is evaluated at (Copernicus-Bench: 224);
- ``name``: how tables call it.

Weights (``--weights`` of ``eossl-benchmark``), by ``weights_format``:

- ``'eossl'``: an eossl pretraining checkpoint; the backbone is taken with
  :func:`eossl.checkpoints.backbone_extraction.extract_backbone` (EMA teacher when present);
- ``'backbone'``: a file written by ``eossl-extract-backbone`` (keys ``backbone.*``);
- ``'softcon'``: an official SoftCon backbone state dict, converted by
  :func:`eossl.checkpoints.softcon_layout.softcon_to_eossl`;
- ``'random'``: no weights, the backbone's own initialisation under a fixed seed.

Features: the backbone's last output. A ViT is built with ``out_type='featmap'``, so the
spatial map ``(N, D, h, w)`` holds the patch tokens and the pooled feature ``(N, D)`` is their
mean (Copernicus-Bench's classification input); a CNN's last feature map is average-pooled.
"""
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from mmengine.config import Config
from mmengine.registry import MODELS
from mmengine.runner import set_random_seed
from torch import nn

from eossl.checkpoints import safe_torch_load
from eossl.checkpoints.backbone_extraction import extract_backbone, strip_prefix
from eossl.checkpoints.softcon_layout import softcon_to_eossl
from eossl.datasets.bands import normalize_band_name, resolve_bands, resolve_stats

WEIGHT_FORMATS = ('eossl', 'backbone', 'softcon', 'random')


@dataclass
class Encoder:
    """A built backbone ready for feature extraction (see the module docstring)."""

    backbone: nn.Module
    bands: tuple[str, ...]
    stats: str | None
    img_size: int
    name: str

    def normalisation(self) -> tuple[torch.Tensor, torch.Tensor] | None:
        """Per-band ``(mean, std)`` of the encoder's bands, or None (dataset statistics)."""
        if self.stats is None:
            return None
        mean, std = resolve_stats(self.stats, self.bands)
        return torch.tensor(mean), torch.tensor(std)

    @torch.no_grad()
    def features(self, images: torch.Tensor, batch_size: int = 32) -> torch.Tensor:
        """``(N, D, h, w)`` feature maps of normalised, band-adapted images ``(N, C, S, S)``."""
        self.backbone.eval()
        out = []
        for start in range(0, len(images), batch_size):
            feats = self.backbone(images[start:start + batch_size])[-1]
            if feats.dim() == 2:
                feats = feats[:, :, None, None]
            out.append(feats.float())
        return torch.cat(out)


def read_weights(path: str, weights_format: str) -> dict:
    """A bare backbone state dict (no prefix) from ``path`` in ``weights_format``."""
    if weights_format not in WEIGHT_FORMATS[:3]:
        raise ValueError(f'weights_format must be one of {WEIGHT_FORMATS}, got '
                         f'{weights_format!r}')
    state = safe_torch_load(path)
    if weights_format == 'softcon':
        return dict(softcon_to_eossl(state))
    if weights_format == 'eossl':
        state, _ = extract_backbone(state)
    elif isinstance(state.get('state_dict'), dict):
        state = state['state_dict']
    if not any(k.startswith('backbone.') for k in state):
        raise ValueError(f'{path}: no backbone.* keys (weights_format={weights_format!r}); '
                         f'found {sorted(state)[:5]} …')
    return dict(strip_prefix(state, 'backbone.'))


def build_encoder(spec: str | Config, weights: str | None = None,
                  weights_format: str = 'random', seed: int = 0,
                  bands: Sequence[str] | None = None) -> Encoder:
    """Build the encoder of ``spec`` (a config path or Config) and load its weights strictly.

    ``bands`` (optional) replaces the spec's bands (e.g. after ``missing='drop'``).
    """
    cfg = Config.fromfile(spec) if isinstance(spec, str) else spec
    for key in ('backbone', 'bands', 'img_size'):
        if key not in cfg:
            raise KeyError(f'encoder spec {getattr(cfg, "filename", spec)}: no {key!r} field '
                           '(needs backbone, bands, img_size; optional stats, name)')
    spec_bands = tuple(normalize_band_name(b) for b in resolve_bands(cfg.bands) or ())
    backbone_cfg = dict(cfg.backbone)
    if backbone_cfg.get('type', '').endswith('EOVisionTransformer'):
        backbone_cfg.update(out_type='featmap', img_size=cfg.img_size)
    backbone_cfg.pop('init_cfg', None)
    set_random_seed(seed)
    backbone = MODELS.build(backbone_cfg)
    if weights_format != 'random':
        if not weights:
            raise ValueError(f'weights_format={weights_format!r} needs a weights file')
        missing, unexpected = backbone.load_state_dict(read_weights(weights, weights_format),
                                                       strict=False)
        if missing or unexpected:
            raise ValueError(f'{weights}: does not fit {backbone_cfg["type"]}: missing '
                             f'{missing[:5]}, unexpected {unexpected[:5]}')
    name = cfg.get('name', backbone_cfg['type'])
    if weights_format == 'random':
        name = f'{name} (random init)'
    return Encoder(backbone, tuple(bands) if bands else spec_bands, cfg.get('stats'),
                   int(cfg.img_size), name)
