"""torchgeo-bench ``BenchModel`` for eossl encoders (``pip install 'eossl[torchgeo-bench]'``).

``torchgeo-bench run hydra.searchpath=[pkg://eossl.integrations.torchgeo_bench_conf] model=eossl
model.weights=softcon_vits14_s2 dataset.bands=all dataset.names=[m-eurosat]``
(or ``model.config=RECIPE model.checkpoint=FILE`` for your own eossl run).

The runner builds the model once per dataset with that dataset's ``BandSpec`` list. Each spec is
read as an eossl band name (:func:`~eossl.integrations.band_mapping.eossl_band_name`); the
dataset's channels are routed to the encoder's bands by name and bands the dataset lacks are
zero after normalisation (their mean; a warning names them). Normalisation is torchgeo-bench's
(``dataset.normalization``, default ``bandspec_zscore``: the dataset's own statistics, as the
framework does for every model).
"""
import logging
from pathlib import Path

import torch
from torchgeo_bench.datasets.base import BandSpec
from torchgeo_bench.models.interface import BenchModel

from .band_mapping import channel_plan, select_channels
from .encoder import load_encoder, pooled_features

logger = logging.getLogger(__name__)


class EOSSLBenchModel(BenchModel):
    """An eossl encoder as a frozen torchgeo-bench feature extractor: ``(B, C, H, W)`` raw →
    ``(B, D)``.

    Args:
        bands: the dataset's ``BandSpec`` list (injected by the runner, not in the yaml).
        weights: a named weight (``eossl-list-weights``); or
        config / checkpoint: an eossl recipe and its checkpoint.
        modality: Dual-SimCLR recipes: ``'s1'`` or ``'s2'``.
        pooling: ``'auto'`` (ViT: CLS token, CNN: mean of the last map), ``'cls'``, ``'mean'``.
        normalization: torchgeo-bench's strategy name (passed by the runner).
    """

    def __init__(self, bands: list[BandSpec], *, weights: str | None = None,
                 config: str | Path | None = None, checkpoint: str | Path | None = None,
                 modality: str | None = None, pooling: str = 'auto',
                 normalization: str = 'bandspec_zscore', **_kwargs: object) -> None:
        super().__init__(bands=bands, normalization=normalization)
        overrides = {'out_type': 'raw'} if pooling != 'mean' else {}
        encoder = load_encoder(weights, config, checkpoint, modality, **_vit_only(overrides,
                                                                                  weights, config))
        self.backbone = encoder.feature_extractor.eval()
        self.encoder_bands = encoder.bands
        self.pooling = pooling
        self.index, missing = channel_plan(bands, encoder.bands, f'eossl encoder '
                                           f'{weights or config}')
        if missing:
            logger.warning('eossl encoder %s: the dataset has no %s; those inputs are zero '
                           '(the band mean)', weights or config, missing)

    @torch.no_grad()
    def _forward_patch_features(self, images: torch.Tensor,
                                _bboxes: torch.Tensor | None = None) -> torch.Tensor:
        """Normalised ``(B, C_dataset, H, W)`` → ``(B, D)``."""
        return pooled_features(self.backbone, select_channels(images, self.index), self.pooling)


def _vit_only(overrides: dict, weights: str | None, config: str | Path | None) -> dict:
    """``out_type=raw`` (CLS + patch tokens) is what pooling reads from eossl's ViT only."""
    from eossl.apis.model import load_config
    from eossl.models.weights import get_weights
    backbone = (get_weights(weights).backbone if weights is not None
                else load_config(config).model.get('backbone', {}))
    return overrides if 'EOVisionTransformer' in str(backbone.get('type', '')) else {}
