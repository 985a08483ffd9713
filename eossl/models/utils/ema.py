"""A frozen exponential-moving-average copy of a network (the teacher of DINO-like methods)."""
from copy import deepcopy

import torch
from torch import nn


class EMATeacher(nn.Module):
    """Deep copy of ``source`` that never receives gradients and only moves by EMA.

    ``update(source, m)`` sets every parameter ``θ_t ← m · θ_t + (1 − m) · θ_s`` (DINO's
    convention: m → 1 freezes the teacher) and copies buffers. The copy always stays in eval
    mode, so drop-path and dropout are off in the teacher whatever the student uses.

    Args:
        source: the student network (or a ``nn.ModuleDict`` of its parts) to copy.
    """

    def __init__(self, source: nn.Module) -> None:
        super().__init__()
        self.module = deepcopy(source)
        self.module.requires_grad_(False)
        self.train(False)

    def train(self, mode: bool = True) -> 'EMATeacher':
        """Keep the copy in eval mode regardless of ``mode``."""
        super().train(False)
        return self

    def forward(self, *args, **kwargs):
        """Call the copied network."""
        return self.module(*args, **kwargs)

    @torch.no_grad()
    def update(self, source: nn.Module, momentum: float) -> None:
        """EMA step towards ``source`` (same structure as at construction); 0 copies it."""
        if not 0.0 <= momentum <= 1.0:
            raise ValueError(f'EMATeacher.update: momentum must be in [0, 1], got {momentum}')
        # One multi-tensor kernel for all parameters instead of one lerp per tensor (~150 for a
        # ViT-S): the update is launch-bound on GPU; the per-name lookup keeps it correct when
        # the student is re-wrapped (DDP/FSDP) after the teacher was copied.
        params = dict(source.named_parameters())
        teacher = [param for _, param in self.module.named_parameters()]
        student = [params[name].detach().to(param.dtype)
                   for name, param in self.module.named_parameters()]
        torch._foreach_lerp_(teacher, student, 1.0 - momentum)
        buffers = dict(source.named_buffers())
        for name, buf in self.module.named_buffers():
            buf.copy_(buffers[name])
