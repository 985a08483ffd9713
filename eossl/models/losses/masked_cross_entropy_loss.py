"""Cross-entropy restricted to selected rows, skipping invalid labels."""
import torch
import torch.nn.functional as F
from torch import nn

from eossl.registry import MODELS


@MODELS.register_module()
class MaskedCrossEntropyLoss(nn.Module):
    """Mean cross-entropy over labels that are valid and selected by a mask.

    Pixel classification: ``pred`` ``(B, L, P, K)`` logits, ``target`` ``(B, L, P)`` class
    indices per pixel of each patch, ``mask`` ``(B, L)`` (1 = masked patch, counts). Image-level
    classification: ``pred`` ``(B, K)``, ``target`` ``(B,)``, ``mask=None``. Labels equal to
    ``ignore_index`` (nodata, −1) never count. With nothing valid the loss is an exact 0 that
    still belongs to the graph.

    Args:
        ignore_index: label value of invalid pixels / samples.
        loss_weight: factor on the result.
    """

    def __init__(self, ignore_index: int = -1, loss_weight: float = 1.):
        super().__init__()
        self.ignore_index, self.loss_weight = ignore_index, loss_weight

    def forward(self, pred: torch.Tensor, target: torch.Tensor,
                mask: torch.Tensor | None = None) -> torch.Tensor:
        """``pred`` ``(*S, K)``, ``target`` ``(*S)``, ``mask`` a leading part of ``S`` → scalar."""
        if pred.shape[:-1] != target.shape:
            raise ValueError(f'pred {tuple(pred.shape)} must be target {tuple(target.shape)} '
                             'plus a class dimension')
        valid = target != self.ignore_index
        if mask is not None:
            if target.shape[:mask.dim()] != mask.shape:
                raise ValueError(f'mask {tuple(mask.shape)} must match the leading dimensions '
                                 f'of target {tuple(target.shape)}')
            valid = valid & mask.bool().reshape(*mask.shape, *[1] * (target.dim() - mask.dim()))
        # no boolean indexing and no host sync: invalid labels become ignore_index (loss and
        # gradient exactly 0), the mean divides by the valid count clamped to 1
        labels = torch.where(valid, target, self.ignore_index).long().reshape(-1)
        per_label = F.cross_entropy(pred.reshape(-1, pred.shape[-1]), labels,
                                    ignore_index=self.ignore_index, reduction='none')
        return self.loss_weight * per_label.sum() / valid.sum().clamp(min=1)
