"""MP-MAE head for image-level targets (biome, ecoregion, location, month, climate)."""
import torch
from mmengine.model import BaseModule
from mmpretrain.models.utils import LayerNorm2d
from torch import nn

from eossl.models.utils.fcmae_init import init_fcmae_decoder
from eossl.registry import MODELS


@MODELS.register_module()
class ImageLevelHead(BaseModule):
    """LayerNorm over channels → global average pool → linear.

    The pool covers every cell (visible and mask tokens), as in MMEarth. MMEarth has one
    LayerNorm shared by all image-level heads: :class:`~eossl.models.selfsup.MPMAE` (its default
    ``image_norm='shared'``) builds these heads with ``with_norm=False`` and normalizes once.

    Args:
        in_channels: decoder width ``D``.
        out_channels: classes (biome 14, ecoregion 846) or values (lat 2, lon 2, month 2,
            ERA5 12).
        loss: :class:`MaskedCrossEntropyLoss` for classes (target ``(B,)``, −1 ignored) or
            :class:`MaskedMSELoss` for values (target ``(B, n)``); default the official one
            flat mean over every non-NaN value of the batch
            (``MaskedMSELoss(nan_mode='skip', reduction='flat')``).
        with_norm: own LayerNorm (eossl's per-head option); False when the caller normalizes.
        init_cfg: ``None`` = the official init (linear N(0, 0.02²), bias 0, LayerNorm 1 / 0).
    """

    def __init__(self, in_channels: int, out_channels: int, loss: dict | None = None,
                 with_norm: bool = True, init_cfg: dict | list[dict] | None = None):
        super().__init__(init_cfg=init_cfg)
        self.norm = LayerNorm2d(in_channels, eps=1e-6) if with_norm else nn.Identity()
        self.fc = nn.Linear(in_channels, out_channels)
        self.loss_module = MODELS.build(
            loss or dict(type='MaskedMSELoss', nan_mode='skip', reduction='flat'))

    def init_weights(self) -> None:
        """The official init unless ``init_cfg`` is given."""
        if self.init_cfg is not None:
            return super().init_weights()
        init_fcmae_decoder(self)
        self._is_init = True

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, D, h, w)`` → ``(B, out_channels)``."""
        return self.fc(self.norm(x).mean((-2, -1)))

    def loss(self, x: torch.Tensor, target: torch.Tensor,
             mask: torch.Tensor | None = None) -> torch.Tensor:
        """Scalar loss of the prediction against ``target``; ``mask`` is unused (image level)."""
        return self.loss_module(self(x), target)
