"""Floors that need no pretraining: ``imagestats`` and ``rcf`` (random convolutional features).

torchgeo-bench reports both beside every encoder: a pretrained encoder that does not beat
per-band statistics or random convolutions has learnt nothing the probe could not get for free.
Both map normalised images ``(N, C, H, W)`` to pooled features ``(N, D)`` or, with ``grid``, to
feature maps ``(N, D, h, w)`` for the segmentation probes.

- ``imagestats``: per band mean, standard deviation, minimum, maximum and the 25/50/75 %
  quantiles (``D = 7·C``), over the whole image or over each grid cell.
- ``rcf``: ``features / 2`` random 3×3 kernels and biases drawn from a standard normal with a
  fixed seed; responses ``relu(x ∗ w − b)`` and ``relu(−x ∗ w + b)`` are averaged over the image
  or each grid cell (``D = features``), as in Rolf et al.'s MOSAIKS.
"""
import torch
import torch.nn.functional as F

STAT_QUANTILES = (0.25, 0.5, 0.75)


def _cells(images: torch.Tensor, grid: tuple[int, int] | None) -> torch.Tensor:
    """``(N, C, h, w, P)`` pixels of each cell (``h = w = 1`` without a grid)."""
    n, c, height, width = images.shape
    h, w = grid or (1, 1)
    if height % h or width % w:
        images = F.interpolate(images, size=(height // h * h or h, width // w * w or w),
                               mode='bilinear', align_corners=False)
        height, width = images.shape[2:]
    x = images.reshape(n, c, h, height // h, w, width // w)
    return x.permute(0, 1, 2, 4, 3, 5).reshape(n, c, h, w, -1)


def imagestats(images: torch.Tensor, grid: tuple[int, int] | None = None) -> torch.Tensor:
    """Per-band statistics ``(N, 7·C)``, or ``(N, 7·C, h, w)`` per cell of ``grid``."""
    x = _cells(images.float(), grid)
    stats = [x.mean(-1), x.std(-1, unbiased=False), x.amin(-1), x.amax(-1)]
    stats += list(torch.quantile(x, torch.tensor(STAT_QUANTILES), dim=-1).unbind(0))
    out = torch.cat(stats, dim=1)  # (N, 7C, h, w)
    return out if grid else out.flatten(1)


class RandomConvFeatures:
    """Random convolutional features (``rcf``) of images with ``in_channels`` bands.

    Args:
        in_channels: C.
        features: D, even (half the kernels give the positive, half the negative response).
        kernel_size: the kernels' size.
        seed: the draw of kernels and biases (the same seed gives the same features).
    """

    def __init__(self, in_channels: int, features: int = 512, kernel_size: int = 3,
                 seed: int = 0) -> None:
        if features % 2:
            raise ValueError(f'RandomConvFeatures: features must be even, got {features}')
        gen = torch.Generator().manual_seed(seed)
        self.weight = torch.randn(features // 2, in_channels, kernel_size, kernel_size,
                                  generator=gen)
        self.bias = torch.randn(features // 2, generator=gen)

    @torch.no_grad()
    def __call__(self, images: torch.Tensor, grid: tuple[int, int] | None = None) -> torch.Tensor:
        """``(N, D)`` pooled features, or ``(N, D, h, w)`` averaged per cell of ``grid``."""
        if images.shape[1] != self.weight.shape[1]:
            raise ValueError(f'RandomConvFeatures: built for {self.weight.shape[1]} bands, got '
                             f'images with {images.shape[1]}')
        response = F.conv2d(images.float(), self.weight)
        response = response - self.bias[None, :, None, None]
        out = torch.cat([F.relu(response), F.relu(-response)], dim=1)
        if grid is None:
            return out.mean(dim=(2, 3))
        return F.adaptive_avg_pool2d(out, grid)
