"""Wavelength-conditioned first layers: the kernel of each band is generated from its physics.

A fixed stem ``Conv2d(C, O, k)`` ties an encoder to the C bands (and their order) it was built
with. Here a small network maps each band's descriptor (:mod:`eossl.models.utils.band_encoding`:
wavelength, bandwidth, polarisation) to that band's kernel ``(O, k, k)``; the layer's weight
``(O, C, k, k)`` is assembled for whatever bands the input has, so one encoder embeds 13-band
L1C, 12-band L2A, 4-band RGBN or 3-band RGB with the same parameters (DOFA's idea, Xiong et al.
2024; DOFA generates the kernels of all bands jointly with a transformer over the band set, here
each band's kernel depends on that band alone, so the weight is a plain function of each band and
permuting bands with their names permutes kernels and leaves the output unchanged).

Which bands the input carries: the stem's ``bands`` (construction) unless the batch names them;
:func:`eossl.models.utils.band_routing.route_batch_bands` sets them per batch from the data
samples' metainfo key ``band_key`` (``'img_bands'``, written by ``LoadMultiBandImage``).

Band reduction ``'mean'`` (default) divides the summed per-band responses by the number of bands
C: an input of C identical bands then gives the same response whatever C (the argument of the
``3 / C`` scaling in :mod:`eossl.models.utils.channel_inflation`), so an encoder pretrained on 13
bands sees responses of the same size on 4. ``'sum'`` is a plain convolution of the generated
weight (a fixed stem with zero-filled missing bands computes exactly this).
"""
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from eossl.datasets.bands import normalize_band_name
from eossl.models.utils.band_encoding import ExtraBands, band_descriptors, descriptor_dims
from eossl.registry import MODELS

REDUCTIONS = ('mean', 'sum')


@MODELS.register_module()
class WavelengthConv2d(nn.Module):
    """``Conv2d`` whose per-band kernels come from the bands' wavelengths.

    ``forward``: ``(B, C, H, W)`` with C = ``len(input_bands)`` → ``(B, O, H', W')`` as
    ``F.conv2d(x, weight, bias, stride, padding)`` with ``weight`` ``(O, C, k, k)`` generated for
    the current bands.

    Args:
        out_channels: O.
        kernel_size / stride / padding: as ``nn.Conv2d`` (square).
        bias: a learned bias ``(O,)`` (shared by every band set).
        bands: default input bands, used when a batch does not name its bands.
        band_key: data-sample metainfo key naming a batch's bands (``'s2_bands'`` for a
            modality dict).
        hidden_dims: width of the generator MLP (descriptor → hidden → hidden → kernel).
        num_frequencies: Fourier frequencies of the band descriptors.
        reduction: ``'mean'`` or ``'sum'`` over bands (see the module docstring).
        extra_bands: ``{name: (wavelength_nm, bandwidth_nm)}`` for bands outside the table.
    """

    def __init__(self, out_channels: int, kernel_size: int, stride: int = 1, padding: int = 0,
                 bias: bool = True, bands: Sequence[str] | None = None,
                 band_key: str = 'img_bands', hidden_dims: int = 64, num_frequencies: int = 16,
                 reduction: str = 'mean', extra_bands: ExtraBands | None = None) -> None:
        super().__init__()
        if reduction not in REDUCTIONS:
            raise ValueError(f'WavelengthConv2d: reduction must be one of {REDUCTIONS}, got '
                             f'{reduction!r}')
        if bands is None or isinstance(bands, str) or not len(bands):
            raise ValueError('WavelengthConv2d: bands must name the default input bands, e.g. '
                             f"('B2', 'B3', 'B4', 'B8'); got {bands!r}")
        self.out_channels, self.kernel_size = out_channels, kernel_size
        self.stride, self.padding = stride, padding
        self.band_key, self.reduction = band_key, reduction
        self.num_frequencies = num_frequencies
        self.extra_bands = dict(extra_bands or {})
        self.default_bands = self.normalize_bands(bands)
        band_descriptors(self.default_bands, num_frequencies, self.extra_bands)  # known names?
        self._input_bands = self.default_bands
        self.generator = nn.Sequential(
            nn.Linear(descriptor_dims(num_frequencies), hidden_dims), nn.GELU(),
            nn.Linear(hidden_dims, hidden_dims), nn.GELU(),
            nn.Linear(hidden_dims, out_channels * kernel_size * kernel_size))
        self.bias = nn.Parameter(torch.zeros(out_channels)) if bias else None
        self.reset_parameters()

    @staticmethod
    def normalize_bands(bands: Sequence[str]) -> tuple[str, ...]:
        """Canonical band names (``'B08'`` → ``'B8'``); duplicates are an error."""
        names = tuple(normalize_band_name(b) for b in bands)
        if len(set(names)) != len(names):
            raise ValueError(f'WavelengthConv2d: duplicate bands in {tuple(bands)}')
        return names

    def reset_parameters(self) -> None:
        """Generator: PyTorch's default ``Linear`` init, then the last layer rescaled so the
        kernels of the default bands have the std of PyTorch's default conv init for that band
        count, ``1/√(3·C·k²)`` (times C under ``'mean'`` reduction, which divides by C)."""
        for m in self.generator:
            if isinstance(m, nn.Linear):
                m.reset_parameters()
        nn.init.zeros_(self.generator[-1].bias)
        c, k = len(self.default_bands), self.kernel_size
        target = (3 * c * k * k) ** -0.5 * (c if self.reduction == 'mean' else 1)
        with torch.no_grad():
            self.generator[-1].weight.mul_(target / self.band_kernels(self.default_bands).std())
        if self.bias is not None:
            nn.init.zeros_(self.bias)

    @property
    def input_bands(self) -> tuple[str, ...]:
        """Bands (in order) the next input carries."""
        return self._input_bands

    def set_input_bands(self, bands: Sequence[str] | None) -> None:
        """Bands of the next inputs; ``None`` restores the default ``bands``.

        Raises:
            BandLookupError: a band the table (and ``extra_bands``) does not know.
        """
        names = self.default_bands if bands is None else self.normalize_bands(bands)
        if names != self._input_bands:
            band_descriptors(names, self.num_frequencies, self.extra_bands)  # known names?
        self._input_bands = names

    def band_kernels(self, bands: Sequence[str] | None = None) -> torch.Tensor:
        """Generated kernels ``(C, O, k, k)`` of ``bands`` (default: the input bands), before
        the band reduction."""
        names = self._input_bands if bands is None else self.normalize_bands(bands)
        last = self.generator[-1].weight
        desc = band_descriptors(names, self.num_frequencies, self.extra_bands).to(
            device=last.device, dtype=last.dtype)
        k = self.kernel_size
        return self.generator(desc).view(len(names), self.out_channels, k, k)

    def weight_for(self, bands: Sequence[str] | None = None) -> torch.Tensor:
        """The convolution weight ``(O, C, k, k)`` applied to ``bands`` (reduction included)."""
        weight = self.band_kernels(bands).transpose(0, 1)
        return weight / weight.shape[1] if self.reduction == 'mean' else weight

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, C, H, W)`` → ``(B, O, H', W')`` for the C current input bands."""
        if x.ndim != 4 or x.shape[1] != len(self._input_bands):
            raise ValueError(f'WavelengthConv2d: input {tuple(x.shape)} must be (B, '
                             f'{len(self._input_bands)}, H, W) for bands {self._input_bands}')
        weight = self.weight_for().to(x.dtype)
        if x.is_contiguous(memory_format=torch.channels_last):
            weight = weight.contiguous(memory_format=torch.channels_last)
        bias = None if self.bias is None else self.bias.to(x.dtype)
        return F.conv2d(x, weight, bias, self.stride, self.padding)

    def extra_repr(self) -> str:
        return (f'out_channels={self.out_channels}, kernel_size={self.kernel_size}, '
                f'stride={self.stride}, padding={self.padding}, bands={self.default_bands}, '
                f'band_key={self.band_key!r}, reduction={self.reduction!r}')


@MODELS.register_module()
class WavelengthPatchEmbed(nn.Module):
    """ViT patch embedding (``PatchEmbed``'s interface) with wavelength-generated kernels.

    ``(B, C, H, W)`` → ``(B, N, D)``, N = (H / p)·(W / p) row-major; the projection ``proj`` is a
    :class:`WavelengthConv2d` with kernel = stride = p.

    Args:
        dim: token width D.
        patch_size: p.
        bands: default input bands.
        **kwargs: other :class:`WavelengthConv2d` options (``band_key``, ``hidden_dims``,
            ``num_frequencies``, ``reduction``, ``extra_bands``).
    """

    def __init__(self, dim: int, patch_size: int, bands: Sequence[str], **kwargs) -> None:
        super().__init__()
        self.patch_size = patch_size
        self.proj = WavelengthConv2d(dim, patch_size, stride=patch_size, bias=True, bands=bands,
                                     **kwargs)

    @property
    def input_bands(self) -> tuple[str, ...]:
        """Bands the next input carries (see :meth:`WavelengthConv2d.set_input_bands`)."""
        return self.proj.input_bands

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C, H, W) → (B, N, D)."""
        return self.proj(x).flatten(2).transpose(1, 2)
