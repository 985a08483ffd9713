"""Bands travel with the batch: data-sample band names → the wavelength stems of a model.

``LoadMultiBandImage`` writes each image's band names to ``results['img_bands']`` (``'<key>_bands'``
for other keys) and ``PackEOInputs`` copies them to the data sample's metainfo. Before each
forward, :func:`route_batch_bands` hands every :class:`~eossl.models.backbones.WavelengthConv2d`
of a model (the student, an EMA teacher, each modality's backbone) the bands named under its
``band_key``; a batch that names none restores the stem's default ``bands``. Fixed stems are
untouched, so models without a wavelength stem behave exactly as before.
"""
from collections.abc import Sequence

from mmpretrain.structures import DataSample
from torch import nn

from eossl.datasets.bands import normalize_band_name


def wavelength_stems(model: nn.Module) -> list[nn.Module]:
    """Every :class:`~eossl.models.backbones.WavelengthConv2d` inside ``model``."""
    from eossl.models.backbones.wavelength_stem import WavelengthConv2d
    return [m for m in model.modules() if isinstance(m, WavelengthConv2d)]


def batch_bands(data_samples: Sequence[DataSample] | None, key: str) -> tuple[str, ...] | None:
    """The bands all samples name under metainfo ``key``; ``None`` when none names them.

    Raises:
        ValueError: samples of one batch name different bands (they cannot share one tensor).
    """
    if not data_samples:
        return None
    found = {tuple(normalize_band_name(b) for b in s.metainfo[key]) if key in s.metainfo else None
             for s in data_samples}
    if len(found) != 1:
        raise ValueError(f'wavelength stem: the samples of one batch name different bands under '
                         f'{key!r}: {sorted(found, key=str)}; draw band subsets per batch '
                         '(SensorMixDataPreprocessor), not per sample')
    return found.pop()


def set_input_bands(model: nn.Module, bands: Sequence[str] | None,
                    band_key: str | None = None) -> None:
    """Tell the wavelength stems of ``model`` (those reading ``band_key``, default all) which
    bands the next inputs carry; ``None`` restores each stem's default bands."""
    for stem in wavelength_stems(model):
        if band_key is None or stem.band_key == band_key:
            stem.set_input_bands(bands)


def route_batch_bands(model: nn.Module, data_samples: Sequence[DataSample] | None) -> None:
    """Set every wavelength stem of ``model`` to the bands the batch names under its key.

    Without data samples nothing changes (bands set by :func:`set_input_bands` stay); samples
    that do not name bands under a stem's key restore its default bands.
    """
    if not data_samples:
        return
    for stem in wavelength_stems(model):
        stem.set_input_bands(batch_bands(data_samples, stem.band_key))
