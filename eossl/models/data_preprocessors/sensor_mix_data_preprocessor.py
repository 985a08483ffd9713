"""Pretrain one wavelength encoder on several sensors' band sets: one set drawn per batch."""
from collections.abc import Mapping, Sequence

import torch

from eossl.datasets.bands import normalize_band_name, resolve_band_order
from eossl.registry import MODELS

from .eo_data_preprocessor import EODataPreprocessor


@MODELS.register_module()
class SensorMixDataPreprocessor(EODataPreprocessor):
    """:class:`EODataPreprocessor`, then (in training) the batch reduced to one drawn band set.

    After normalization (with the full input's statistics), each training batch keeps only the
    bands of one entry of ``band_sets``, drawn with probabilities ``probs`` from the global torch
    generator (mmengine's ``randomness.seed`` makes the draws reproducible); every view of the
    batch keeps the same bands, and every data sample's metainfo ``band_key`` is set to them, so
    a wavelength stem (:mod:`eossl.models.utils.band_routing`) and PerA's pixel head see which
    bands came. E.g. ``dict(s2_l1c='s2_l1c', s2_l2a='s2_l2a', rgbn=('B2', 'B3', 'B4', 'B8'))``
    over 13-band L1C inputs trains on 13-, 12- and 4-band batches. Validation / test batches
    pass unchanged.

    The band sets are subsets of the loaded bands (the pixels stay those of the loaded product:
    the 's2_l2a' set of an L1C image has L2A's bands, not its surface reflectance).

    Args:
        band_sets: ``{name: bands}``, bands a list of names or a sensor of the band table
            (``'s2_l2a'``).
        probs: draw probability per entry, in ``band_sets`` order (default uniform).
        band_key: metainfo key naming the loaded bands (``PackEOInputs(meta_keys=(...,
            'img_bands'))``) and, after the draw, the kept ones.
        **kwargs: :class:`EODataPreprocessor` arguments.
    """

    def __init__(self, band_sets: Mapping[str, str | Sequence[str]],
                 probs: Sequence[float] | None = None, band_key: str = 'img_bands',
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if not band_sets:
            raise ValueError('SensorMixDataPreprocessor: band_sets must name at least one set')
        self.band_sets = {name: resolve_band_order(spec) for name, spec in band_sets.items()}
        probs = [1.0] * len(self.band_sets) if probs is None else list(probs)
        if len(probs) != len(self.band_sets) or min(probs) < 0 or sum(probs) <= 0:
            raise ValueError(f'SensorMixDataPreprocessor: probs {probs} must be one non-negative '
                             f'weight per band set {list(self.band_sets)}')
        self.probs = torch.tensor(probs, dtype=torch.float64) / sum(probs)
        self.band_key = band_key

    def forward(self, data: dict, training: bool = False) -> dict:
        """Normalize; in training keep one drawn band set of every view (see the class doc)."""
        data = super().forward(data, training)
        samples = data.get('data_samples')
        if not training:
            return data
        if not samples or any(self.band_key not in s.metainfo for s in samples):
            raise ValueError(f'SensorMixDataPreprocessor: every data sample must name its bands '
                             f"under metainfo {self.band_key!r}; add {self.band_key!r} to "
                             'PackEOInputs(meta_keys=...)')
        loaded = tuple(normalize_band_name(b) for b in samples[0].metainfo[self.band_key])
        name = list(self.band_sets)[int(torch.multinomial(self.probs, 1))]
        kept = self.band_sets[name]
        missing = [b for b in kept if b not in loaded]
        if missing:
            raise ValueError(f'SensorMixDataPreprocessor: band set {name!r} needs {missing}, '
                             f'which the batch (bands {loaded}) does not have')
        index = [loaded.index(b) for b in kept]
        data['inputs'] = _select(data['inputs'], index)
        for sample in samples:
            sample.set_metainfo({self.band_key: kept})
        return data


def _select(inputs: torch.Tensor | list, index: list[int]) -> torch.Tensor | list:
    """Bands ``index`` of a batch ``(B, C, H, W)`` or of every batch of a list of views."""
    if isinstance(inputs, Mapping):
        raise ValueError('SensorMixDataPreprocessor: inputs are a dict of modalities; band sets '
                         'are drawn for single-modality batches only')
    if isinstance(inputs, torch.Tensor):
        return inputs[:, index]
    return [_select(v, index) for v in inputs]
