"""The module an export traces: a built recipe as one tensor-in, tensors-out network.

Input: ``(B, C, H, W)`` already normalised, ``(raw - mean) / std`` with the statistics stored in
the file's metadata (bands in model order). Outputs by task:

- ``embedding`` (a pretraining recipe or a named weight): the backbone's outputs, one tensor per
  ``out_indices`` entry (ViT ``cls_token``: ``(B, D)``; ResNet / ConvNeXt: ``(B, D, h, w)``);
- ``classification``: the head's logits ``(B, K)`` (``forward(mode='tensor')``; apply the head's
  softmax / sigmoid yourself);
- ``segmentation``: per-pixel logits ``(B, K, H, W)``, the decode head's output resized to the
  input as mmseg's inference does (bilinear, the segmentor's ``align_corners``).
"""
import torch
import torch.nn.functional as F
from torch import nn

from eossl.apis.model import EOInferenceModel


class ExportGraph(nn.Module):
    """A traced view of an :class:`EOInferenceModel` (see the module docstring)."""

    def __init__(self, model: EOInferenceModel) -> None:
        super().__init__()
        self.task = model.task
        self.net = model.feature_extractor if model.task == 'embedding' else model.network
        self.align_corners = bool(getattr(self.net, 'align_corners', False))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """``(B, C, H, W)`` normalised → the task's outputs (always a tuple)."""
        if self.task == 'embedding':
            out = self.net(x)
            return tuple(out) if isinstance(out, (tuple, list)) else (out, )
        out = self.net(x, mode='tensor')
        if self.task == 'segmentation':
            out = F.interpolate(out, size=x.shape[-2:], mode='bilinear',
                                align_corners=self.align_corners)
        return (out, )


def output_names(outputs: tuple[torch.Tensor, ...], task: str) -> list[str]:
    """``logits`` for a head, ``features`` / ``features_<i>`` for a backbone."""
    if task != 'embedding':
        return ['logits']
    return ['features'] if len(outputs) == 1 else [f'features_{i}' for i in range(len(outputs))]
