"""A toolkit's band description → eossl band names, and a dataset's channels → the encoder's.

Toolkits name bands their own way: torchgeo-bench ``BandSpec(sensor='s2', name='red',
source_name='B04')``, TerraTorch ``HLSBands.RED`` / ``'RED'``, PANGAEA ``'B4'``. eossl's band
table (:mod:`eossl.datasets.bands`) is the one source of truth: a name is resolved through
its spelling rules (``B04`` → ``B4``), then through common aliases (``red`` → ``B4``).
"""
from collections.abc import Sequence

import torch

from eossl.datasets.bands import band_names, normalize_band_name

KNOWN = frozenset(band_names('s2_l1c')) | frozenset(band_names('s1_grd'))
# Sentinel-2 / HLS / torchgeo-bench descriptive names of the S2 bands (HLS NIR_NARROW is B8A)
ALIASES = {
    'COASTAL_AEROSOL': 'B1', 'BLUE': 'B2', 'GREEN': 'B3', 'RED': 'B4', 'RED_EDGE_1': 'B5',
    'RED_EDGE_2': 'B6', 'RED_EDGE_3': 'B7', 'NIR': 'B8', 'NIR_BROAD': 'B8', 'RED_EDGE_4': 'B8A',
    'NIR_NARROW': 'B8A', 'WATER_VAPOUR': 'B9', 'WATER_VAPOR': 'B9', 'CIRRUS': 'B10',
    'SWIR_CIRRUS': 'B10', 'SWIR_1': 'B11', 'SWIR_2': 'B12',
}


def eossl_band_name(name: object) -> str | None:
    """eossl's name of a band given as ``'B04'``, ``'red'``, ``'VV'``, an enum member or a
    torchgeo-bench ``BandSpec``; None for a band eossl's table does not know."""
    candidates = []
    if hasattr(name, 'source_name'):  # torchgeo-bench BandSpec: the file code, then the name
        candidates = [name.source_name, name.name]  # type: ignore[attr-defined]
    else:
        candidates = [getattr(name, 'value', name)]
    for candidate in candidates:
        spelled = normalize_band_name(str(candidate))
        if spelled in KNOWN:
            return spelled
        alias = ALIASES.get(spelled.replace(' ', '_').replace('-', '_'))
        if alias is not None:
            return alias
    return None


def channel_plan(available: Sequence[object], wanted: Sequence[str],
                 where: str) -> tuple[list[int], list[str]]:
    """For each band the encoder wants, the index of the same band among ``available``
    (-1 when absent) and the list of absent bands.

    Raises:
        ValueError: none of the wanted bands is available (naming both lists).
    """
    names = [eossl_band_name(band) for band in available]
    index = [names.index(band) if band in names else -1 for band in wanted]
    missing = [band for band, i in zip(wanted, index) if i < 0]
    if len(missing) == len(wanted):
        raise ValueError(f'{where}: none of the encoder bands {list(wanted)} is among the input '
                         f'bands {[str(getattr(b, "name", b)) for b in available]} '
                         f'(read as {names})')
    return index, missing


def select_channels(x: torch.Tensor, index: Sequence[int]) -> torch.Tensor:
    """``(B, C_in, H, W)`` normalised → ``(B, len(index), H, W)``: channel ``index[i]``, or zeros
    (the band mean after normalisation) where ``index[i]`` is -1."""
    take = torch.tensor([max(i, 0) for i in index], device=x.device)
    out = x.index_select(1, take)
    absent = torch.tensor([i < 0 for i in index], device=x.device)
    return out.masked_fill(absent.view(1, -1, 1, 1), 0.0) if bool(absent.any()) else out
