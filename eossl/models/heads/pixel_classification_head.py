"""MP-MAE head that classifies every pixel of every patch (land-cover maps)."""
import torch
from mmengine.model import BaseModule
from torch import nn

from eossl.models.utils.fcmae_init import init_fcmae_decoder
from eossl.models.utils.patch_grid import patchify
from eossl.registry import MODELS


@MODELS.register_module()
class PixelClassificationHead(BaseModule):
    """1×1 conv from the decoder map to ``p·p·K`` logits per grid cell.

    Args:
        in_channels: decoder width ``D``.
        num_classes: ``K`` (Dynamic World 9, ESA WorldCover 11).
        patch_size: pixels per patch side ``p``.
        loss: default :class:`MaskedCrossEntropyLoss` with ``ignore_index=-1``.
        init_cfg: ``None`` = the official init (:func:`init_fcmae_decoder`).
    """

    def __init__(self, in_channels: int, num_classes: int, patch_size: int,
                 loss: dict | None = None, init_cfg: dict | list[dict] | None = None):
        super().__init__(init_cfg=init_cfg)
        self.num_classes, self.patch_size = num_classes, patch_size
        self.conv = nn.Conv2d(in_channels, patch_size * patch_size * num_classes, 1)
        self.loss_module = MODELS.build(loss or dict(type='MaskedCrossEntropyLoss'))

    def init_weights(self) -> None:
        """MMEarth's official init (1×1 conv N(0, 1), bias 0) unless ``init_cfg`` is given."""
        if self.init_cfg is not None:
            return super().init_weights()
        init_fcmae_decoder(self)
        self._is_init = True

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, D, h, w)`` → logits ``(B, h·w, p·p, K)`` (pixels row by row)."""
        b = x.shape[0]
        return self.conv(x).flatten(2).transpose(1, 2).reshape(b, -1, self.patch_size ** 2,
                                                               self.num_classes)

    def loss(self, x: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """``target`` ``(B, 1, h·p, w·p)`` or ``(B, h·p, w·p)`` class indices (−1 = invalid),
        ``mask`` ``(B, h, w)`` → scalar loss over valid pixels of masked patches."""
        if target.dim() not in (3, 4) or (target.dim() == 4 and target.shape[1] != 1):
            raise ValueError(f'label map must be (B, 1, H, W) or (B, H, W), got '
                             f'{tuple(target.shape)}')
        labels = patchify(target.reshape(target.shape[0], 1, *target.shape[-2:]),
                          self.patch_size)
        return self.loss_module(self(x), labels, mask.flatten(1))
