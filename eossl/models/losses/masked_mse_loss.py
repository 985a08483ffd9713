"""NaN-aware mean squared error restricted to selected rows (masked patches, samples)."""
import torch
from torch import nn

from eossl.registry import MODELS


@MODELS.register_module()
class MaskedMSELoss(nn.Module):
    """MSE over the rows a mask selects, ignoring NaN targets (nodata).

    ``pred`` and ``target`` are ``(..., D)``: one row per patch (``D = p·p·C`` pixel values) or
    per sample (``D`` values). Each row's error is the mean over its non-NaN target elements;
    the loss is the mean over the selected rows that have at least one valid element (MMEarth's
    per-patch mean, then mean over masked patches). With no valid element at all the loss is an
    exact 0 that still belongs to the graph (uncertainty weighting then drops the task).

    Args:
        norm_per_patch: normalize each target row by the mean and unbiased std of its valid
            elements first (MAE's ``norm_pix_loss``; MMEarth applies it to S2 only).
        eps: added to the variance before the square root.
        loss_weight: factor on the result.
    """

    def __init__(self, norm_per_patch: bool = False, eps: float = 1e-6, loss_weight: float = 1.):
        super().__init__()
        self.norm_per_patch, self.eps, self.loss_weight = norm_per_patch, eps, loss_weight

    def normalize_rows(self, target: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
        """Target rows ``(..., D)`` standardized over their valid elements (zeros where invalid)."""
        count = valid.sum(-1, keepdim=True)
        mean = target.sum(-1, keepdim=True) / count.clamp(min=1)
        centred = (target - mean) * valid
        var = centred.pow(2).sum(-1, keepdim=True) / (count - 1).clamp(min=1)
        return centred / (var + self.eps).sqrt()

    def forward(self, pred: torch.Tensor, target: torch.Tensor,
                mask: torch.Tensor | None = None) -> torch.Tensor:
        """``pred``/``target`` ``(..., D)``, ``mask`` ``(...)`` (1 = counts) or ``None``
        → scalar."""
        if pred.shape != target.shape:
            raise ValueError(f'pred {tuple(pred.shape)} and target {tuple(target.shape)} differ')
        valid = ~torch.isnan(target)
        # zero-filled NaNs keep the gradient of excluded elements exactly 0 (never NaN · 0)
        target = torch.where(valid, target, torch.zeros((), dtype=target.dtype,
                                                        device=target.device))
        if self.norm_per_patch:
            target = self.normalize_rows(target, valid)
        count = valid.sum(-1)
        per_row = ((pred - target).pow(2) * valid).sum(-1) / count.clamp(min=1)
        rows = count > 0
        if mask is not None:
            rows = rows & mask.bool()
        if not rows.any():
            return pred.sum() * 0.
        return self.loss_weight * per_row[rows].mean()
