"""Shared helpers of the per-iteration schedule hooks."""
import math

from mmengine.model import is_model_wrapper
from torch import nn


def cosine(start: float, end: float, progress: float) -> float:
    """Cosine from ``start`` (progress 0) to ``end`` (progress 1); progress is clipped to [0, 1]."""
    progress = min(max(progress, 0.0), 1.0)
    return end + (start - end) * (1 + math.cos(math.pi * progress)) / 2


def unwrap(model: nn.Module) -> nn.Module:
    """The algorithm inside a DDP / FSDP wrapper (or the model itself)."""
    return model.module if is_model_wrapper(model) else model
