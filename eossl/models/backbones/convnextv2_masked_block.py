"""ConvNeXt V2 pieces that compute on the visible sites of a mask exactly as a sparse network does.

FCMAE (ConvNeXt V2, MMEarth) encodes only the visible patches with MinkowskiEngine sparse
convolutions. A dense network gives the same numbers at the visible (*active*) sites when every
input of a spatial or global operation is zero at the inactive sites:

- a sparse convolution at an active site sums ``w[offset] · x[neighbour]`` over *active*
  neighbours only; a dense convolution over an input that is zero at inactive sites adds exactly
  ``0`` for them (including zero padding at the border), so both agree at active sites;
- LayerNorm, linear layers and GELU act per site, so whatever they leave at inactive sites is
  harmless as long as it is zeroed before the next spatial or global operation;
- GRN's statistic is an L2 norm (a *sum* of squares), so zeros at inactive sites drop out and the
  dense norm equals the sparse norm over active sites;
- a strided sparse convolution (kernel = stride) makes a coarse site active when any of its fine
  sites is, i.e. the active map is max-pooled.

Hence :class:`MaskedConvNeXtV2Block` zeroes inactive sites before GRN and after the residual sum
(fused with it), and the encoder re-applies the active map after the stem, every block and every
downsampling.
"""
import torch
import torch.nn.functional as F
from mmpretrain.models.backbones.convnext import ConvNeXtBlock
from mmpretrain.models.utils import GRN

GRN_STATS = ('sample', 'batch')


def pool_active(active: torch.Tensor, stride: int) -> torch.Tensor:
    """Active map after a kernel = stride convolution: ``(B, 1, H, W)`` → ``(B, 1, H/s, W/s)``.

    A coarse site is active when any fine site under the kernel is (MinkowskiEngine's output
    coordinates of a strided convolution).
    """
    return active if stride == 1 else F.max_pool2d(active, stride, stride)


def masked_grn(x: torch.Tensor, grn: GRN, active: torch.Tensor | None, stats: str) -> torch.Tensor:
    """Global Response Normalization over the active sites of channel-last ``x`` ``(B, H, W, C)``.

    Args:
        x: features, zero at inactive sites when ``active`` is given.
        grn: the module holding ``gamma``/``beta`` ``(C,)`` and ``eps``.
        active: ``(B, H, W, 1)`` 0/1 map or ``None`` (dense: per-sample statistics).
        stats: ``'sample'`` — one norm per sample over its active sites (the dense GRN restricted
            to visible sites); ``'batch'`` — one norm over the active sites of the whole batch,
            which is what MinkowskiGRN computes (``torch.norm(x.F, dim=0)`` over the batch's
            feature matrix, ConvNeXt-V2 issue #86) — per process under DDP, as there. Only used
            when ``active`` is given.
    """
    if active is None or stats == 'sample':
        return grn(x, data_format='channel_last')
    gx = torch.norm(x, p=2, dim=(0, 1, 2), keepdim=True)
    nx = gx / (gx.mean(dim=-1, keepdim=True) + grn.eps)
    return grn.gamma * (x * nx) + grn.beta + x


class MaskedConvNeXtV2Block(ConvNeXtBlock):
    """mmpretrain's ConvNeXt block (V2: GRN, no layer scale) that can run on an active map.

    The parameters and their names are mmpretrain's (``depthwise_conv``, ``norm``,
    ``pointwise_conv1``, ``grn``, ``pointwise_conv2``), so dense ConvNeXt V2 weights load
    as they are.

    Args:
        in_channels: channels ``C``.
        drop_path_rate: stochastic depth (per sample, as MinkowskiDropPath).
        grn_stats: see :func:`masked_grn`.
    """

    def __init__(self, in_channels: int, drop_path_rate: float = 0., grn_stats: str = 'sample'):
        if grn_stats not in GRN_STATS:
            raise ValueError(f'grn_stats must be one of {GRN_STATS}, got {grn_stats!r}')
        super().__init__(in_channels, drop_path_rate=drop_path_rate, use_grn=True,
                         layer_scale_init_value=0.)
        self.grn_stats = grn_stats

    def forward(self, x: torch.Tensor, active: torch.Tensor | None = None) -> torch.Tensor:
        """``x`` ``(B, C, H, W)`` (zero at inactive sites), ``active`` ``(B, 1, H, W)`` or ``None``
        → ``(B, C, H, W)``, zero at inactive sites."""
        shortcut = x
        x = self.depthwise_conv(x).permute(0, 2, 3, 1)
        x = self.act(self.pointwise_conv1(self.norm(x, data_format='channel_last')))
        active_last = None if active is None else active.permute(0, 2, 3, 1)
        if active_last is not None:
            # in place: GELU's backward reads its input, and mul's only the (constant) map
            x = x.mul_(active_last)
        x = masked_grn(x, self.grn, active_last, self.grn_stats)
        x = self.drop_path(self.pointwise_conv2(x).permute(0, 3, 1, 2))
        if active is None:
            return shortcut + x
        # shortcut is zero at inactive sites, so shortcut + x·active = (shortcut + x)·active,
        # in one fused pass instead of an add and a multiplication
        return torch.addcmul(shortcut, x, active)
