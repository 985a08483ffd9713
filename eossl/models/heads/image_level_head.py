"""MP-MAE head for image-level targets (biome, ecoregion, location, month, climate)."""
import torch
from mmengine.model import BaseModule
from mmpretrain.models.utils import LayerNorm2d
from torch import nn

from eossl.registry import MODELS

_INIT = [dict(type='TruncNormal', layer=['Linear'], std=.02, bias=0.),
         dict(type='Constant', layer=['LayerNorm'], val=1., bias=0.)]


@MODELS.register_module()
class ImageLevelHead(BaseModule):
    """LayerNorm over channels → global average pool → linear.

    The pool covers every cell (visible and mask tokens), as in MMEarth.

    Args:
        in_channels: decoder width ``D``.
        out_channels: classes (biome 14, ecoregion 846) or values (lat 2, lon 2, month 2,
            ERA5 12).
        loss: :class:`MaskedCrossEntropyLoss` for classes (target ``(B,)``, −1 ignored) or
            :class:`MaskedMSELoss` for values (target ``(B, n)``, NaN ignored; the default).
    """

    def __init__(self, in_channels: int, out_channels: int, loss: dict | None = None,
                 init_cfg: dict | list[dict] | None = None):
        super().__init__(init_cfg=init_cfg or _INIT)
        self.norm = LayerNorm2d(in_channels, eps=1e-6)
        self.fc = nn.Linear(in_channels, out_channels)
        self.loss_module = MODELS.build(loss or dict(type='MaskedMSELoss'))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, D, h, w)`` → ``(B, out_channels)``."""
        return self.fc(self.norm(x).mean((-2, -1)))

    def loss(self, x: torch.Tensor, target: torch.Tensor,
             mask: torch.Tensor | None = None) -> torch.Tensor:
        """Scalar loss of the prediction against ``target``; ``mask`` is unused (image level)."""
        return self.loss_module(self(x), target)
