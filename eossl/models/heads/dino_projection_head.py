"""PerA's prototype head: DINO projector + centred cross-entropy (+ KoLeo) between views."""
from collections.abc import Sequence

import torch
from mmengine.model import BaseModule

from eossl.registry import MODELS

from .bottleneck_projector import BottleneckProjector


@MODELS.register_module()
class DINOProjectionHead(BaseModule):
    """Projects CLS tokens to K prototype logits and owns the distillation losses.

    ``projector``: (N, D) → MLP D → hidden → hidden → bottleneck → L2 norm → weight-normed linear
    → (N, K). The teacher's EMA copy holds only ``projector`` (not the losses and their state).

    Args:
        in_channels: backbone width D.
        num_prototypes: K (official PerA: 131072).
        hidden_channels: MLP hidden width (2048).
        bottleneck_channels: MLP output width before the L2 norm (384).
        num_layers: linear layers in the MLP (3).
        loss: cfg of the student/teacher loss; ``out_dim`` defaults to ``num_prototypes``.
        koleo_loss: cfg of the KoLeo regulariser applied to each global student view's logits
            (as the official code does), or ``None``.
        fp32_prototypes: prototype layer in fp32 under autocast (see ``BottleneckProjector``;
            off by default, as the official half-precision head).
    """

    def __init__(self, in_channels: int, num_prototypes: int = 131072,
                 hidden_channels: int = 2048, bottleneck_channels: int = 384,
                 num_layers: int = 3, loss: dict | None = None,
                 koleo_loss: dict | None = None, fp32_prototypes: bool = False,
                 init_cfg: dict | None = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.projector = BottleneckProjector(in_channels, num_prototypes, hidden_channels,
                                             bottleneck_channels, num_layers,
                                             fp32_prototypes=fp32_prototypes)
        loss = dict(type='CenteredCrossEntropyLoss') if loss is None else dict(loss)
        loss.setdefault('out_dim', num_prototypes)
        self.loss_module = MODELS.build(loss)
        self.koleo_loss = MODELS.build(koleo_loss) if koleo_loss is not None else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """CLS tokens (N, D) → prototype logits (N, K)."""
        return self.projector(x)

    def loss(self, student: Sequence[torch.Tensor], teacher: Sequence[torch.Tensor],
             teacher_temp: float, num_global: int) -> dict[str, torch.Tensor]:
        """Loss terms of per-view logits (globals first); ``student[i]`` pairs with ``teacher[i]``.

        Returns ``loss_dino`` (mean over views) and, with KoLeo, ``loss_koleo`` (sum over the
        ``num_global`` global views, as in the official code).
        """
        losses = dict(loss_dino=self.loss_module(student, teacher, teacher_temp))
        if self.koleo_loss is not None:
            losses['loss_koleo'] = torch.stack(
                [self.koleo_loss(s) for s in student[:num_global]]).sum()
        return losses
