"""Mean squared error restricted to selected rows (masked patches, samples), NaN-aware."""
import torch
from torch import nn

from eossl.registry import MODELS

NAN_MODES = ('zero', 'skip')
REDUCTIONS = ('row', 'flat')


@MODELS.register_module()
class MaskedMSELoss(nn.Module):
    """MSE over the rows a mask selects; NaN targets (nodata) are zero-filled or skipped.

    ``pred`` and ``target`` are ``(..., D)``: one row per patch (``D = p·p·C`` pixel values) or
    per sample (``D`` values). The defaults are MMEarth's pixel-regression loss
    (``models/fcmae.py``): NaN (and ±inf) targets become 0 — the data mean after z-scoring —
    before anything else, each row's error is the mean over its D elements, and the loss is the
    mean over the selected rows. With no counted element at all the loss is an exact 0 that
    still belongs to the graph (uncertainty weighting then drops the task; the official code
    yields NaN there).

    Args:
        norm_per_patch: standardize each target row by its mean and unbiased std first (MAE's
            ``norm_pix_loss``; MMEarth applies it to S2 only). With ``nan_mode='skip'`` the
            statistics cover the valid elements only.
        eps: added to the variance before the square root.
        loss_weight: factor on the result.
        nan_mode: ``'zero'`` (official MMEarth pixel targets): NaN → 0, every element counts;
            ``'skip'`` (eossl option; official for MMEarth's image-level values): NaN elements
            are excluded from the error, the counts and the per-patch statistics.
        reduction: ``'row'`` (official for patches): mean per row, then mean over the selected
            rows that count at least one element; ``'flat'`` (official for MMEarth's
            image-level ``lat``/``lon``/``month``/``era5``): one mean over every counted element
            of the selected rows, so rows with more valid values weigh more.
    """

    def __init__(self, norm_per_patch: bool = False, eps: float = 1e-6, loss_weight: float = 1.,
                 nan_mode: str = 'zero', reduction: str = 'row'):
        super().__init__()
        if nan_mode not in NAN_MODES or reduction not in REDUCTIONS:
            raise ValueError(f'MaskedMSELoss: nan_mode must be one of {NAN_MODES} and reduction '
                             f'one of {REDUCTIONS}, got {nan_mode!r}, {reduction!r}')
        self.norm_per_patch, self.eps, self.loss_weight = norm_per_patch, eps, loss_weight
        self.nan_mode, self.reduction = nan_mode, reduction

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
        finite = torch.isfinite(target)
        valid = finite if self.nan_mode == 'skip' else torch.ones_like(finite)
        # zero-filled NaNs keep the gradient of excluded elements exactly 0 (never NaN · 0)
        target = torch.where(finite, target, torch.zeros((), dtype=target.dtype,
                                                         device=target.device))
        if self.norm_per_patch:
            target = self.normalize_rows(target, valid)
        count = valid.sum(-1)
        sq_err = (pred - target).pow(2) * valid
        rows = count > 0
        if mask is not None:
            rows = rows & mask.bool()
        # no boolean indexing and no host sync: unselected rows are replaced by exact zeros,
        # the denominators are clamped to 1 (an empty selection then gives an exact 0)
        zero = sq_err.new_zeros(())
        if self.reduction == 'flat':
            err = torch.where(rows, sq_err.sum(-1), zero).sum()
            return self.loss_weight * err / torch.where(rows, count, 0).sum().clamp(min=1)
        per_row = torch.where(rows, sq_err.sum(-1) / count.clamp(min=1), zero)
        return self.loss_weight * per_row.sum() / rows.sum().clamp(min=1)
