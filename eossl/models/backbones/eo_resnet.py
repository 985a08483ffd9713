"""ResNet whose stem takes any number of Earth-observation bands."""
from collections.abc import Sequence

import torch
from mmpretrain.models import ResNet

from eossl.datasets.bands import resolve_bands
from eossl.registry import MODELS

from .wavelength_stem import WavelengthConv2d


@MODELS.register_module()
class EOResNet(ResNet):
    """mmpretrain's ResNet with a C-band stem, C given as ``in_channels`` or by band names.

    A recipe names its bands once (``bands=('VV', 'VH')``) and the stem width follows, so the
    backbone and the data pipeline cannot disagree silently. Everything else (``depth`` 18/34/50/
    101/152, ``out_indices``, ``norm_cfg``, ``frozen_stages``, ...) is mmpretrain's ``ResNet``.

    Input ``(B, C, H, W)``; output a tuple with one ``(B, C_i, H / s_i, W / s_i)`` map per entry
    of ``out_indices`` (``C_3`` = 2048 for depth 50, 512 for depth 18; ``s_3`` = 32).

    Args:
        depth: ResNet depth.
        bands: band names in input channel order, or a band-set name (``'s2_l1c'``,
            :func:`eossl.datasets.bands.resolve_bands`); the names are stored as ``self.bands``.
        in_channels: number of input bands; must equal ``len(bands)`` when both are given.
        patch_embed: ``'fixed'`` (official ``conv1``, 7×7 stride 2 over ``in_channels``) or
            ``'wavelength'`` (eossl option: ``conv1`` is a
            :class:`~.wavelength_stem.WavelengthConv2d` of the same shape whose kernels are
            generated per band from its wavelength, so any set and order of known bands runs
            with the same parameters; needs ``bands``; not with ``deep_stem``).
        wavelength_cfg: options of the wavelength stem (``band_key``, ``hidden_dims``,
            ``num_frequencies``, ``reduction``, ``extra_bands``).
        channels_last: store the convolution weights in ``torch.channels_last`` (NHWC) memory
            format, set at construction so DDP and the optimizer see the final layout; pair it
            with ``EODataPreprocessor(channels_last=True)`` so the inputs match (cuDNN runs
            NHWC convolutions faster, notably under bf16 autocast).
        **kwargs: any other ``mmpretrain.models.ResNet`` argument.
    """

    def __init__(self, depth: int, bands: Sequence[str] | None = None,
                 in_channels: int | None = None, patch_embed: str = 'fixed',
                 wavelength_cfg: dict | None = None, channels_last: bool = False,
                 **kwargs) -> None:
        self.bands = _check_bands(bands, in_channels)
        in_channels = len(self.bands) if self.bands is not None else in_channels
        if patch_embed not in ('fixed', 'wavelength') or patch_embed == 'wavelength' and (
                self.bands is None or kwargs.get('deep_stem')):
            raise ValueError("EOResNet: patch_embed must be 'fixed' or 'wavelength' (which needs "
                             f'bands and no deep_stem), got {patch_embed!r} with bands='
                             f"{self.bands!r}, deep_stem={kwargs.get('deep_stem', False)}")
        super().__init__(depth=depth, in_channels=in_channels, **kwargs)
        if patch_embed == 'wavelength':
            self.conv1 = WavelengthConv2d(self.conv1.out_channels, 7, stride=2, padding=3,  # type: ignore[has-type]
                                          bias=False, bands=self.bands, **(wavelength_cfg or {}))
        self.channels_last = channels_last
        if channels_last:
            self.to(memory_format=torch.channels_last)

    def init_weights(self) -> None:
        """mmpretrain's initialization, drawn in the default (NCHW) layout.

        Random init fills a tensor in memory order, so drawing into NHWC weights would give
        other values for the same seed: ``channels_last`` changes the layout only, not them.
        The parameters stay the same objects (``Module.to`` swaps their data in place).
        """
        if not self.channels_last:
            return super().init_weights()
        self.to(memory_format=torch.contiguous_format)
        super().init_weights()
        self.to(memory_format=torch.channels_last)

    def train(self, mode: bool = True) -> 'EOResNet':
        """Set the training mode and return ``self``, as ``torch.nn.Module.train`` does.

        mmpretrain's ``ResNet.train`` (which re-freezes stages and BN) returns ``None``, which
        breaks ``model = MODELS.build(cfg).eval()``.
        """
        super().train(mode)
        return self


def _check_bands(bands: Sequence[str] | None, in_channels: int | None) -> tuple[str, ...] | None:
    """Validate the two ways of giving the channel count; returns the bands as a tuple."""
    bands = resolve_bands(bands)
    if bands is None:
        if not isinstance(in_channels, int) or in_channels < 1:
            raise ValueError('EOResNet: give `bands` (band names) or `in_channels` (a positive '
                             f'int); got bands=None, in_channels={in_channels!r}')
        return None
    if isinstance(bands, str) or not all(isinstance(b, str) for b in bands) or not bands:
        raise ValueError(f'EOResNet: `bands` must be a non-empty sequence of band names, '
                         f'e.g. ("VV", "VH"); got {bands!r}')
    if len(set(bands)) != len(bands):
        raise ValueError(f'EOResNet: `bands` has duplicates: {tuple(bands)}')
    if in_channels is not None and in_channels != len(bands):
        raise ValueError(f'EOResNet: in_channels={in_channels} but {len(bands)} bands were '
                         f'named {tuple(bands)}')
    return tuple(bands)
