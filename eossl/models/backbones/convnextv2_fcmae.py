"""ConvNeXt V2 for FCMAE pretraining (MMEarth MP-MAE) and as a dense downstream backbone."""
from collections.abc import Sequence

import torch
from mmengine.model import ModuleList
from mmpretrain.models.backbones.base_backbone import BaseBackbone
from mmpretrain.models.backbones.convnext import ConvNeXt
from mmpretrain.models.utils import LayerNorm2d
from torch import nn

from eossl.datasets.bands import resolve_bands
from eossl.models.utils.fcmae_init import init_fcmae_encoder
from eossl.models.utils.patch_grid import upsample_grid
from eossl.registry import MODELS

from .convnextv2_masked_block import MaskedConvNeXtV2Block, pool_active
from .wavelength_stem import WavelengthConv2d

STEM_TYPES = ('mmearth', 'convnextv2')


def _ln(channels: int) -> LayerNorm2d:
    return LayerNorm2d(channels, eps=1e-6)


def _band_count(in_channels: int | None, bands: Sequence[str] | None, patch_embed: str) -> int:
    """Input band count from ``in_channels`` and/or ``bands`` (default 12, S2 without B10)."""
    if patch_embed not in ('fixed', 'wavelength') or (patch_embed == 'wavelength' and not bands):
        raise ValueError("ConvNeXtV2FCMAE: patch_embed must be 'fixed' or 'wavelength' (which "
                         f'needs bands), got {patch_embed!r} with bands={bands!r}')
    if bands is not None and in_channels is not None and in_channels != len(bands):
        raise ValueError(f'ConvNeXtV2FCMAE: in_channels={in_channels} but {len(bands)} bands '
                         f'{tuple(bands)}')
    return len(bands) if bands is not None else (12 if in_channels is None else in_channels)


@MODELS.register_module()
class ConvNeXtV2FCMAE(BaseBackbone):
    """ConvNeXt V2 whose encoder output at visible patches ignores masked pixels exactly.

    Four stages of :class:`MaskedConvNeXtV2Block`; the stem has stride ``patch_size / 8`` so the
    last stage is the patch grid (112 px, patch 16 → 7×7; 56 px, patch 8 → 7×7). With a mask the
    network computes what MinkowskiEngine computes on the visible sites (see
    :mod:`.convnextv2_masked_block`); without one it is a plain dense ConvNeXt V2.

    Stems (``stem_type``):
        - ``'mmearth'`` (MMEarth default, ``use_orig_stem=False``): 3×3 conv (stride 1, padding 1
          as the sparse conv keeps coordinates) + LN + GELU, then a depthwise conv with
          kernel = stride = ``patch_size / 8`` + LN. Modules ``initial_conv`` and ``stem``.
        - ``'convnextv2'``: one conv with kernel = stride = ``patch_size / 8`` + LN (``stem``).

    Args:
        arch: ``'atto'``, ``'femto'``, ``'pico'``, ``'nano'``, ``'tiny'`` (or any of mmpretrain's
            ConvNeXt archs) or ``dict(depths=[...], channels=[...])`` with four stages.
        in_channels: input bands (12 for S2 without B10); may be omitted when ``bands`` is given.
        bands: input band names or a band-set name (must agree with ``in_channels``); the
            default bands of a wavelength stem.
        patch_embed: ``'fixed'`` (official stem) or ``'wavelength'`` (eossl option: the stem's
            first convolution — ``initial_conv`` for ``'mmearth'``, the strided ``stem`` conv for
            ``'convnextv2'`` — is a :class:`~.wavelength_stem.WavelengthConv2d` of the same
            shape whose kernels are generated per band from its wavelength, so any set and order
            of known bands runs with the same parameters; needs ``bands``).
        wavelength_cfg: options of the wavelength stem (``band_key``, ``hidden_dims``,
            ``num_frequencies``, ``reduction``, ``extra_bands``).
        patch_size: mask patch size in pixels, a multiple of 8.
        stem_type: see above.
        drop_zero_pixels: also treat visible pixels whose bands are all exactly 0 as inactive, as
            MinkowskiEngine's ``to_sparse`` does (nodata → 0 after normalization).
        grn_stats: ``'sample'`` or ``'batch'`` (MinkowskiGRN) statistics in masked mode; the dense
            mode always uses per-sample statistics like the dense ConvNeXt V2.
        drop_path_rate: stochastic depth rate, linearly increasing over blocks.
        out_indices: stages whose outputs are returned.
        out_norm: add a LayerNorm per returned stage (dense mode only; pretraining sets False so
            no parameter goes unused).
        gap_before_final_norm: global-average-pool before the output norm (classification).
        frozen_stages: stem + this many stages are frozen.
        channels_last: store the convolution weights in ``torch.channels_last`` (NHWC) memory
            format from construction on (pair with ``EODataPreprocessor(channels_last=True)``);
            the blocks already compute LayerNorm / GRN / pointwise layers channel-last.
        init_cfg: ``None`` = MMEarth's official init (:func:`init_fcmae_encoder`: depthwise
            convs and pointwise linears N(0, 1), other convs N(0, 0.02²)); any mmengine init
            config (e.g. ``Pretrained``) replaces it.
    """

    def __init__(self, arch: str | dict = 'atto', in_channels: int | None = None,
                 patch_size: int = 16,
                 stem_type: str = 'mmearth', drop_zero_pixels: bool = False,
                 grn_stats: str = 'sample', drop_path_rate: float = 0.,
                 out_indices: int | Sequence[int] = -1, out_norm: bool = True,
                 gap_before_final_norm: bool = False, frozen_stages: int = 0,
                 channels_last: bool = False, bands: Sequence[str] | None = None,
                 patch_embed: str = 'fixed', wavelength_cfg: dict | None = None,
                 init_cfg: dict | list[dict] | None = None):
        super().__init__(init_cfg=init_cfg)
        arch = ConvNeXt.arch_settings[arch] if isinstance(arch, str) else arch
        depths, channels = list(arch['depths']), list(arch['channels'])
        if len(depths) != 4 or len(channels) != 4:
            raise ValueError(f'ConvNeXtV2FCMAE needs 4 stages, got depths={depths} '
                             f'channels={channels}')
        if patch_size % 8 or patch_size < 8:
            raise ValueError(f'patch_size must be a positive multiple of 8 (stem stride '
                             f'patch_size/8, then three 2× downsamplings), got {patch_size}')
        if stem_type not in STEM_TYPES:
            raise ValueError(f'stem_type must be one of {STEM_TYPES}, got {stem_type!r}')
        self.bands = bands = resolve_bands(bands)  # a band-set name or the names
        in_channels = _band_count(in_channels, bands, patch_embed)
        out_indices = [out_indices] if isinstance(out_indices, int) else list(out_indices)
        self.out_indices = sorted(i % 4 for i in out_indices)
        self.channels, self.patch_size, self.stem_stride = channels, patch_size, patch_size // 8
        self.stem_type, self.drop_zero_pixels = stem_type, drop_zero_pixels
        self.out_norm, self.gap_before_final_norm = out_norm, gap_before_final_norm
        self.frozen_stages = frozen_stages

        s, c0 = self.stem_stride, channels[0]
        if stem_type == 'mmearth':
            self.initial_conv = nn.Sequential(nn.Conv2d(in_channels, c0, 3, padding=1), _ln(c0),
                                              nn.GELU())
            self.stem = nn.Sequential(nn.Conv2d(c0, c0, s, stride=s, groups=c0), _ln(c0))
        else:
            self.stem = nn.Sequential(nn.Conv2d(in_channels, c0, s, stride=s), _ln(c0))
        if patch_embed == 'wavelength':
            first = self.initial_conv if stem_type == 'mmearth' else self.stem
            conv = first[0]
            first[0] = WavelengthConv2d(c0, conv.kernel_size[0], conv.stride[0], conv.padding[0],
                                        bias=True, bands=self.bands, **(wavelength_cfg or {}))
        self.downsample_layers = ModuleList(
            nn.Sequential(_ln(channels[i]), nn.Conv2d(channels[i], channels[i + 1], 2, stride=2))
            for i in range(3))
        rates = torch.linspace(0, drop_path_rate, sum(depths)).tolist()
        self.stages = ModuleList()
        for i, depth in enumerate(depths):
            first = sum(depths[:i])
            self.stages.append(ModuleList(
                MaskedConvNeXtV2Block(channels[i], rates[first + j], grn_stats)
                for j in range(depth)))
        if out_norm:
            for i in self.out_indices:
                self.add_module(f'norm{i}', _ln(channels[i]))
        self._freeze_stages()
        self.channels_last = channels_last
        if channels_last:
            self.to(memory_format=torch.channels_last)

    def input_active_map(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Pixel-level active map ``(B, 1, H, W)`` (1 = visible) from the patch mask.

        Args:
            x: ``(B, C, H, W)`` input, ``H`` and ``W`` multiples of ``patch_size``.
            mask: ``(B, H/p, W/p)`` with 1/True = masked (hidden), the FCMAE convention.
        """
        b, _, h, w = x.shape
        grid = (h // self.patch_size, w // self.patch_size)
        if h % self.patch_size or w % self.patch_size or tuple(mask.shape) != (b, *grid):
            raise ValueError(f'mask must be (B, H/{self.patch_size}, W/{self.patch_size}) = '
                             f'{(b, *grid)} for input {tuple(x.shape)}, got {tuple(mask.shape)}')
        active = upsample_grid(~mask.bool(), self.patch_size).unsqueeze(1)
        if self.drop_zero_pixels:
            active = active & (x != 0).any(dim=1, keepdim=True)
        return active.to(x.dtype)

    def init_weights(self) -> None:
        """MMEarth's official init without ``init_cfg``; otherwise mmengine's init.

        Drawn in the default (NCHW) layout: random init fills a tensor in memory order, and
        ``channels_last`` must change the layout only, not the values a seed gives.
        """
        if self.channels_last:
            self.to(memory_format=torch.contiguous_format)
        if self.init_cfg is not None:
            super().init_weights()
        else:
            init_fcmae_encoder(self)
            for module in self.modules():  # the official rules are for convs, not generators
                if isinstance(module, WavelengthConv2d):
                    module.reset_parameters()
            self._is_init = True
        if self.channels_last:
            self.to(memory_format=torch.channels_last)

    def forward(self, x: torch.Tensor,
                mask: torch.Tensor | None = None) -> tuple[torch.Tensor, ...]:
        """Dense: ``x`` ``(B, C, H, W)`` → stage outputs at ``out_indices`` (normed when
        ``out_norm``; ``(B, C_i)`` with ``gap_before_final_norm``).

        Masked: with ``mask`` ``(B, H/p, W/p)`` (1 = masked) → raw stage outputs at
        ``out_indices``, ``(B, C_i, H_i, W_i)``, zero at inactive sites; the last stage is
        ``(B, C_3, H/p, W/p)``. Masked pixels (even NaN) never reach a visible output.
        """
        active = None if mask is None else self.input_active_map(x, mask)
        if active is not None:
            x = torch.where(active.bool(), x, torch.zeros((), dtype=x.dtype, device=x.device))
        if self.stem_type == 'mmearth':
            x = self._apply_active(self.initial_conv(x), active)
        active = None if active is None else pool_active(active, self.stem_stride)
        x = self._apply_active(self.stem(x), active)
        outs = []
        for i, stage in enumerate(self.stages):
            if i > 0:
                norm, conv = self.downsample_layers[i - 1]
                x = conv(self._apply_active(norm(x), active))
                active = None if active is None else pool_active(active, 2)
                x = self._apply_active(x, active)
            for block in stage:
                x = block(x, active)
            if i in self.out_indices:
                outs.append(x if mask is not None else self._dense_output(x, i))
        return tuple(outs)

    @staticmethod
    def _apply_active(x: torch.Tensor, active: torch.Tensor | None) -> torch.Tensor:
        return x if active is None else x * active

    def _dense_output(self, x: torch.Tensor, i: int) -> torch.Tensor:
        if self.gap_before_final_norm:
            x = x.mean((-2, -1), keepdim=True)
        if self.out_norm:
            x = getattr(self, f'norm{i}')(x)
        return x.flatten(1) if self.gap_before_final_norm else x

    def _freeze_stages(self) -> None:
        """Freeze the stem and the first ``frozen_stages`` stages (with their downsampling)."""
        if self.frozen_stages <= 0:
            return
        modules = [self.stem] + ([self.initial_conv] if self.stem_type == 'mmearth' else [])
        modules += [self.stages[i] for i in range(self.frozen_stages)]
        modules += [self.downsample_layers[i - 1] for i in range(1, self.frozen_stages)]
        for module in modules:
            module.eval()
            for param in module.parameters():
                param.requires_grad = False

    def train(self, mode: bool = True) -> 'ConvNeXtV2FCMAE':
        """Keep frozen stages in eval mode."""
        super().train(mode)
        self._freeze_stages()
        return self
