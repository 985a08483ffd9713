"""Match a dataset's bands to an encoder's bands by name (PANGAEA's rule), never by position.

- Bands the encoder expects and the dataset lacks: ``missing='fill'`` (default, PANGAEA) puts
  a band of zeros **after normalisation**, i.e. the band's mean; ``missing='drop'`` removes the
  matching input slices of the encoder's first layer instead (:func:`drop_stem_bands`).
- Bands the dataset has and the encoder does not know are dropped.
- No common band is an error naming both lists. There is no RGB tiling or any positional
  fallback: a 2-band S1 encoder never silently sees S2 bands.
"""
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn

from eossl.datasets.bands import normalize_band_name
from eossl.models.utils.channel_inflation import FIRST_LAYER_KEYS

MISSING_MODES = ('fill', 'drop')


@dataclass(frozen=True)
class BandPlan:
    """How dataset bands become encoder input.

    Attributes:
        source: index into the dataset's bands of each encoder input channel (``None`` = fill).
        encoder_bands: the encoder input bands after the plan (all encoder bands for ``fill``;
            the shared ones for ``drop``).
        missing: encoder bands the dataset lacks.
        dropped: dataset bands the encoder does not use.
    """

    source: tuple[int | None, ...]
    encoder_bands: tuple[str, ...]
    missing: tuple[str, ...]
    dropped: tuple[str, ...]

    def apply(self, images: torch.Tensor) -> torch.Tensor:
        """``(N, C_dataset, H, W)`` normalised images → ``(N, C_encoder, H, W)`` (fill = 0)."""
        out = images.new_zeros(images.shape[0], len(self.source), *images.shape[2:])
        for i, j in enumerate(self.source):
            if j is not None:
                out[:, i] = images[:, j]
        return out


def plan_bands(dataset_bands: Sequence[str], encoder_bands: Sequence[str],
               missing: str = 'fill') -> BandPlan:
    """The :class:`BandPlan` from ``dataset_bands`` to ``encoder_bands`` (names normalised).

    Raises:
        ValueError: an unknown ``missing`` mode, or no band in common (both lists named).
    """
    if missing not in MISSING_MODES:
        raise ValueError(f'missing must be one of {MISSING_MODES}, got {missing!r}')
    have = {normalize_band_name(b): i for i, b in enumerate(dataset_bands)}
    wanted = [normalize_band_name(b) for b in encoder_bands]
    shared = [b for b in wanted if b in have]
    if not shared:
        raise ValueError(f'no band in common between the dataset bands {list(dataset_bands)} '
                         f'and the encoder bands {list(encoder_bands)}; eossl matches bands by '
                         'name and never tiles RGB or maps bands by position')
    absent = tuple(b for b in wanted if b not in have)
    kept = wanted if missing == 'fill' else shared
    return BandPlan(source=tuple(have.get(b) for b in kept), encoder_bands=tuple(kept),
                    missing=absent,
                    dropped=tuple(b for b in have if b not in wanted))


def drop_stem_bands(backbone: nn.Module, encoder_bands: Sequence[str],
                    keep: Sequence[str]) -> None:
    """Cut the first layer of ``backbone`` down to the input bands ``keep`` (in place).

    The first layer is the ViT's ``patch_embed.proj`` or the ResNet's ``conv1``
    (:data:`~eossl.models.utils.channel_inflation.FIRST_LAYER_KEYS`); its weight
    ``(O, C, k, k)`` keeps the slices of ``keep`` in that order (the ``missing='drop'`` option).
    """
    names = [normalize_band_name(b) for b in encoder_bands]
    index = [names.index(normalize_band_name(b)) for b in keep]
    for key in FIRST_LAYER_KEYS:
        path = key.rsplit('.', 1)[0]
        try:
            layer = backbone.get_submodule(path)
        except AttributeError:
            continue
        if not isinstance(layer, nn.Conv2d) or layer.in_channels != len(names):
            continue
        layer.weight = nn.Parameter(layer.weight.data[:, index].clone())
        layer.in_channels = len(index)
        if hasattr(backbone, 'in_channels'):
            backbone.in_channels = len(index)
        if getattr(backbone, 'bands', None) is not None:
            backbone.bands = tuple(keep)
        return
    raise ValueError(f'drop_stem_bands: {type(backbone).__name__} has no first layer '
                     f'{FIRST_LAYER_KEYS} with {len(names)} input bands')
