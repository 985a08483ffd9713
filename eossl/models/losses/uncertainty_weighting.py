"""Learned uncertainty weighting of several task losses (Kendall et al., CVPR 2018)."""
from collections.abc import Sequence

import torch
from torch import nn

from eossl.registry import MODELS


@MODELS.register_module()
class UncertaintyWeighting(nn.Module):
    """``Σ_k exp(−s_k)·L_k + s_k`` with one learnable log-variance ``s_k`` per task (init 0).

    ``∂/∂s_k = −exp(−s_k)·L_k + 1``: a task's weight falls as its loss stays large. As in
    MMEarth, a task whose loss is exactly 0 (no valid target in the batch) adds 0 rather than
    ``s_k``, so a missing modality neither pulls nor pushes its log-variance.

    Args:
        task_names: the tasks, in the order of :attr:`log_vars`.
    """

    def __init__(self, task_names: Sequence[str]):
        super().__init__()
        if not task_names or len(set(task_names)) != len(task_names):
            raise ValueError(f'task_names must be non-empty and unique, got {list(task_names)}')
        self.task_names = list(task_names)
        self.log_vars = nn.Parameter(torch.zeros(len(self.task_names)))

    def forward(self, losses: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """``{task: scalar loss}`` → ``{task: weighted term}`` (their sum is the total loss)."""
        if set(losses) != set(self.task_names):
            raise KeyError(f'expected losses for {self.task_names}, got {list(losses)}')
        terms = {}
        for k, name in enumerate(self.task_names):
            loss, s = losses[name], self.log_vars[k]
            terms[name] = (torch.exp(-s) * loss + s) * (loss != 0)
        return terms
