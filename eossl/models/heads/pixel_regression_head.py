"""MP-MAE head that regresses the pixels of every patch of a continuous target modality."""
import torch
from mmengine.model import BaseModule
from torch import nn

from eossl.models.utils.fcmae_init import init_fcmae_decoder
from eossl.models.utils.patch_grid import patchify
from eossl.registry import MODELS


@MODELS.register_module()
class PixelRegressionHead(BaseModule):
    """1×1 conv from the decoder map to ``p·p·C`` values per grid cell.

    Args:
        in_channels: decoder width ``D`` (512).
        out_channels: bands ``C`` of the target (12 for S2, 8 for S1, 2 for ASTER / canopy).
        patch_size: pixels per patch side ``p``.
        loss: the loss on masked patches; default :class:`MaskedMSELoss` with MMEarth's
            semantics (NaN targets → 0, per-patch mean, mean over masked patches;
            ``norm_per_patch=True`` for S2 in MMEarth; ``nan_mode='skip'`` is eossl's option).
        init_cfg: ``None`` = the official init (:func:`init_fcmae_decoder`).
    """

    def __init__(self, in_channels: int, out_channels: int, patch_size: int,
                 loss: dict | None = None, init_cfg: dict | list[dict] | None = None):
        super().__init__(init_cfg=init_cfg)
        self.out_channels, self.patch_size = out_channels, patch_size
        self.conv = nn.Conv2d(in_channels, patch_size * patch_size * out_channels, 1)
        self.loss_module = MODELS.build(loss or dict(type='MaskedMSELoss'))

    def init_weights(self) -> None:
        """MMEarth's official init (1×1 conv N(0, 1), bias 0) unless ``init_cfg`` is given."""
        if self.init_cfg is not None:
            return super().init_weights()
        init_fcmae_decoder(self)
        self._is_init = True

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, D, h, w)`` → ``(B, h·w, p·p·C)`` in :func:`patchify` layout."""
        return self.conv(x).flatten(2).transpose(1, 2)

    def loss(self, x: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """``x`` ``(B, D, h, w)``, ``target`` ``(B, C, h·p, w·p)`` (NaN = nodata), ``mask``
        ``(B, h, w)`` (1 = masked) → scalar loss on masked patches."""
        if target.shape[1] != self.out_channels:
            raise ValueError(f'target has {target.shape[1]} bands, head predicts '
                             f'{self.out_channels}')
        return self.loss_module(self(x), patchify(target, self.patch_size), mask.flatten(1))
