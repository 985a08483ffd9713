"""PerA's pixel head: regress the pixels of the patches the student predicts."""
from collections.abc import Sequence

import torch
from mmengine.model import BaseModule

from eossl.datasets.bands import normalize_band_name
from eossl.models.utils.patch_grid import patchify
from eossl.registry import MODELS

from .bottleneck_projector import BottleneckProjector


@MODELS.register_module()
class PixelPredictionHead(BaseModule):
    """Maps predicted-position tokens to patch pixels and scores them against the image.

    ``forward``: tokens (B, M, D) → MLP → L2 norm → weight-normed linear → (B, M, p²·C), the
    patch layout of :func:`eossl.models.utils.patch_grid.patchify`.

    Args:
        in_channels: backbone width D.
        patch_size: patch side p.
        out_channels: image bands C.
        hidden_channels / bottleneck_channels / num_layers: projector MLP (2048 / 384 / 3).
        loss: cfg of a row-wise loss ``loss(pred (N, P), target (N, P))``; default (official
            PerA) ``MaskedMSELoss(loss_weight=0.01)``: the targets are the patch pixels as the
            data pipeline normalized them. ``norm_per_patch=True`` (eossl option) standardizes
            each target patch first (MAE's ``norm_pix_loss``).
        sum_over_pixels: multiply the per-patch mean error by P = p²·C, i.e. sum the squared
            error over a patch's values before averaging over patches (the official PerA
            reduction that its weight 0.01 is tuned for).
        bands: names of the ``out_channels`` predicted bands (eossl option, for a wavelength
            encoder fed band subsets): ``forward(x, bands)`` then keeps only the predicted
            values of ``bands``, in their order, so a batch of 4 of the 13 bands is scored on
            those 4. ``None`` (default): every prediction has all ``out_channels`` bands; PerA
            names them after a wavelength backbone's default bands.
    """

    def __init__(self, in_channels: int, patch_size: int, out_channels: int,
                 hidden_channels: int = 2048, bottleneck_channels: int = 384,
                 num_layers: int = 3, loss: dict | None = None, sum_over_pixels: bool = True,
                 bands: Sequence[str] | None = None, init_cfg: dict | None = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.patch_size, self.out_channels = patch_size, out_channels
        self.bands: tuple[str, ...] | None = None
        if bands is not None:
            self.set_bands(bands)
        self.projector = BottleneckProjector(in_channels, patch_size ** 2 * out_channels,
                                             hidden_channels, bottleneck_channels, num_layers)
        self.loss_module = MODELS.build(
            loss or dict(type='MaskedMSELoss', loss_weight=0.01))
        self.sum_over_pixels = sum_over_pixels

    def set_bands(self, bands: Sequence[str]) -> None:
        """Name the ``out_channels`` predicted bands (see ``bands`` in the class docstring)."""
        if len(bands) != self.out_channels:
            raise ValueError(f'PixelPredictionHead: {len(bands)} bands {tuple(bands)} for '
                             f'out_channels={self.out_channels}')
        self.bands = tuple(normalize_band_name(b) for b in bands)

    def forward(self, x: torch.Tensor, bands: Sequence[str] | None = None) -> torch.Tensor:
        """(B, M, D) → (B, M, p²·C); with ``bands`` (a subset of the head's ``bands``)
        (B, M, p²·C') holding those C' bands only."""
        pred = self.projector(x)
        if bands is None or self.bands is None or tuple(bands) == self.bands:
            return pred
        missing = [b for b in bands if b not in self.bands]
        if missing:
            raise ValueError(f'PixelPredictionHead: bands {missing} are not among the predicted '
                             f'bands {self.bands}')
        index = torch.tensor([self.bands.index(b) for b in bands], device=pred.device)
        pixels = pred.unflatten(-1, (self.patch_size ** 2, self.out_channels))
        return pixels.index_select(-1, index).flatten(-2)

    def target(self, images: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
        """Pixels of patches ``idx`` (B, M) of ``images`` (B, C, H, W) → (B, M, p²·C)."""
        if self.bands is None and images.shape[1] != self.out_channels:
            raise ValueError(f'PixelPredictionHead: images have {images.shape[1]} bands, '
                             f'out_channels is {self.out_channels}')
        patches = patchify(images, self.patch_size)
        return patches.gather(1, idx.long().unsqueeze(-1).expand(-1, -1, patches.shape[-1]))

    def loss(self, pred: torch.Tensor, target: torch.Tensor) -> dict[str, torch.Tensor]:
        """``loss_pixel`` of predicted rows (N, P) against target rows (N, P)."""
        loss = self.loss_module(pred.float(), target.float())
        return dict(loss_pixel=loss * pred.shape[-1] if self.sum_over_pixels else loss)
