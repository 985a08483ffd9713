"""Fixed numeric descriptors of named bands: what a wavelength-conditioned stem sees of a band.

A band is described only by physics the band table (:mod:`eossl.datasets.bands`) records, never
by its position in the input, so a stem conditioned on these descriptors takes any set and order
of bands. Per band (one row of :func:`band_descriptors`):

- sine/cosine features of ``log2`` of the central wavelength at ``num_frequencies`` angular
  frequencies spaced geometrically between 0.1 and 100 rad per octave: the low ones separate
  optical (~2⁹ nm) from radar (~2²⁶ nm), the high ones separate B8 from B8A (0.05 octave apart);
- the same features of ``log2`` of the bandwidth (zeros for radar, which has none);
- one optical flag and a one-hot polarisation (``VV VH HH HV``; zeros for optical bands), so
  Sentinel-1 VV and VH, which share one wavelength, still differ.

Bands outside the table can be declared per stem with ``extra_bands={name: (wavelength_nm,
bandwidth_nm)}`` (e.g. Landsat OLI or an aerial camera); an unknown name is an error listing the
known ones.
"""
import math
from collections.abc import Mapping, Sequence

import torch

from eossl.datasets.bands import (
    BandLookupError,
    canonical_band_order,
    known_bands,
    normalize_band_name,
)

POLARISATIONS = ('VV', 'VH', 'HH', 'HV')
ExtraBands = Mapping[str, tuple[float, float | None]]


def descriptor_dims(num_frequencies: int) -> int:
    """Length of one band descriptor: 2·2·F Fourier features + optical flag + 4 polarisations."""
    return 4 * num_frequencies + 1 + len(POLARISATIONS)


def _fourier(value: float, num_frequencies: int) -> list[float]:
    """``[sin(ω_k·v), cos(ω_k·v)]`` for ω_k geometric in [0.1, 100]."""
    if num_frequencies == 1:
        omegas = [1.0]
    else:
        omegas = [0.1 * 1000 ** (k / (num_frequencies - 1)) for k in range(num_frequencies)]
    return [f(w * value) for w in omegas for f in (math.sin, math.cos)]


def band_physics(band: str, extra_bands: ExtraBands | None = None
                 ) -> tuple[float, float | None, str | None]:
    """``(wavelength_nm, bandwidth_nm or None, polarisation or None)`` of a named band.

    Raises:
        BandLookupError: the band is neither in the table nor in ``extra_bands``; the message
            lists every known name.
    """
    name = normalize_band_name(band)
    extra = {normalize_band_name(k): v for k, v in (extra_bands or {}).items()}
    if name in extra:
        wavelength, width = extra[name]
        return float(wavelength), None if width is None else float(width), None
    table = known_bands()
    if name not in table:
        known = canonical_band_order(table) + sorted(extra)
        raise BandLookupError(f'wavelength stem: unknown band {band!r}; known bands: '
                              f'{", ".join(repr(k) for k in known)} (declare others with '
                              "extra_bands={name: (wavelength_nm, bandwidth_nm)})")
    info = table[name]
    polarisation = name if info.frequency_ghz is not None and name in POLARISATIONS else None
    return info.wavelength_nm, info.bandwidth_nm, polarisation


def band_descriptors(bands: Sequence[str], num_frequencies: int = 16,
                     extra_bands: ExtraBands | None = None) -> torch.Tensor:
    """Descriptors ``(C, descriptor_dims(num_frequencies))`` of ``bands``, in their order."""
    rows = []
    for band in bands:
        wavelength, width, polarisation = band_physics(band, extra_bands)
        width_features = (_fourier(math.log2(width), num_frequencies) if width else
                          [0.0] * (2 * num_frequencies))
        pol = [1.0 if polarisation == p else 0.0 for p in POLARISATIONS]
        rows.append(_fourier(math.log2(wavelength), num_frequencies) + width_features +
                    [0.0 if polarisation else 1.0] + pol)
    return torch.tensor(rows, dtype=torch.float32)
