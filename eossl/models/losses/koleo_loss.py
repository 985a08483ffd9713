"""KoLeo regulariser: pushes a batch of embeddings to spread uniformly on the sphere."""
import torch
import torch.nn.functional as F
from torch import nn

from eossl.registry import MODELS


@MODELS.register_module()
class KoLeoLoss(nn.Module):
    """Kozachenko–Leonenko entropy estimate: ``−mean_i log ‖x_i − x_nn(i)‖`` of L2-normed rows.

    The nearest neighbour of each row is searched within the given (per-rank) batch, as in
    DINOv2 and PerA. Distances are ``torch.pairwise_distance`` (``‖x_i − x_nn + eps‖``), then
    ``eps`` is added again inside the log, exactly as the official code. Needs at least two rows.

    Args:
        loss_weight: factor on the returned loss (PerA: 0.1).
        eps: added to distances before the log, and to norms when normalising.
    """

    def __init__(self, loss_weight: float = 0.1, eps: float = 1e-8) -> None:
        super().__init__()
        self.loss_weight, self.eps = loss_weight, eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (B, D) → scalar loss."""
        if x.ndim != 2 or x.shape[0] < 2:
            raise ValueError(f'KoLeoLoss: expected (B ≥ 2, D) embeddings, got {tuple(x.shape)}')
        with torch.autocast(x.device.type, enabled=False):  # fp32, as DINOv2's KoLeo
            x = F.normalize(x.float(), dim=-1, eps=self.eps)
            with torch.no_grad():
                sims = x @ x.t()
                sims.fill_diagonal_(-1.0)  # the official trick; ties resolve like torch.max
                nearest = sims.max(dim=1).indices
            dist = F.pairwise_distance(x, x[nearest], p=2, eps=self.eps)
            return -self.loss_weight * torch.log(dist + self.eps).mean()
