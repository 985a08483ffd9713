"""DINO's self-distillation loss: student vs. centred and sharpened teacher distributions."""
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from mmengine.dist import all_reduce
from torch import nn

from eossl.registry import MODELS


@MODELS.register_module()
class CenteredCrossEntropyLoss(nn.Module):
    """Cross-entropy between ``softmax((t − c) / τ_t)`` and ``log_softmax(s / τ_s)``, per view.

    Student view ``i`` is compared with teacher view ``i`` only (PerA's aligned pairs); the loss
    is the mean over views of the batch-mean cross-entropy. The center ``c`` (1, K) is an EMA
    of the teacher logits, averaged over every rank's batch, so all ranks hold the same center;
    it is updated after the targets are computed, in training mode only, and is a persistent
    buffer so that resuming restores it.

    Args:
        out_dim: number of prototypes K.
        student_temp: τ_s (PerA: 0.1).
        center_momentum: EMA momentum of the center (PerA: 0.9).
        loss_weight: factor on the returned loss.
    """

    def __init__(self, out_dim: int, student_temp: float = 0.1, center_momentum: float = 0.9,
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        self.student_temp, self.center_momentum = student_temp, center_momentum
        self.loss_weight = loss_weight
        self.register_buffer('center', torch.zeros(1, out_dim))

    def forward(self, student: Sequence[torch.Tensor], teacher: Sequence[torch.Tensor],
                teacher_temp: float) -> torch.Tensor:
        """Loss of per-view logits: ``student[i]`` (B_i, K) against ``teacher[i]`` (B_i, K)."""
        if len(student) != len(teacher) or not student:
            raise ValueError(f'CenteredCrossEntropyLoss: {len(student)} student views vs '
                             f'{len(teacher)} teacher views; expected the same, non-zero count')
        with torch.no_grad():
            targets = [F.softmax((t.float() - self.center) / teacher_temp, dim=-1)
                       for t in teacher]
        losses = [-(p * F.log_softmax(s.float() / self.student_temp, dim=-1)).sum(-1).mean()
                  for s, p in zip(student, targets)]
        if self.training:
            self.update_center(torch.cat([t.detach() for t in teacher]))
        return self.loss_weight * torch.stack(losses).mean()

    @torch.no_grad()
    def update_center(self, teacher: torch.Tensor) -> None:
        """``c ← m · c + (1 − m) · mean of teacher (N, K) over all ranks' rows``."""
        total = teacher.float().sum(dim=0, keepdim=True)
        count = torch.tensor([float(teacher.shape[0])], device=teacher.device)
        all_reduce(total)
        all_reduce(count)
        self.center.mul_(self.center_momentum).add_(total / count * (1 - self.center_momentum))
