"""SimCLR projection head without normalization layers: Linear → ReLU → Linear."""
import torch
from mmengine.model import BaseModule
from torch import nn

from eossl.registry import MODELS


@MODELS.register_module()
class ProjectionMLP(BaseModule):
    """Dual-SimCLR's projection MLP (2048 → 2048 → ReLU → 128 for ResNet-50), biases, no BN.

    mmpretrain's ``NonLinearNeck`` always inserts a BatchNorm after its first linear layer, so it
    cannot express the official Linear-ReLU-Linear head. Weights keep PyTorch's default init,
    as in the official code.

    Args:
        in_channels: backbone feature width (2048 for ResNet-50, 512 for ResNet-18).
        hid_channels: hidden width.
        out_channels: embedding width.
        with_avg_pool: global-average-pool a ``(B, C, H, W)`` map first; if False the input
            must already be ``(B, C)``.
        init_cfg: mmengine initialization config.
    """

    def __init__(self, in_channels: int, hid_channels: int, out_channels: int,
                 with_avg_pool: bool = True, init_cfg: dict | list[dict] | None = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.with_avg_pool = with_avg_pool
        self.mlp = nn.Sequential(nn.Linear(in_channels, hid_channels), nn.ReLU(inplace=True),
                                 nn.Linear(hid_channels, out_channels))

    def forward(self, x: tuple[torch.Tensor, ...]) -> tuple[torch.Tensor]:
        """Project the last backbone output ``x[-1]`` ``(B, C, H, W)`` → ``((B, out),)``."""
        feat = x[-1]
        if self.with_avg_pool:
            if feat.dim() != 4:
                raise ValueError(f'ProjectionMLP: with_avg_pool expects (B, C, H, W), got '
                                 f'{tuple(feat.shape)}')
            feat = feat.mean(dim=(2, 3))
        elif feat.dim() != 2:
            raise ValueError(f'ProjectionMLP: with_avg_pool=False expects (B, C), got '
                             f'{tuple(feat.shape)}')
        return (self.mlp(feat), )
