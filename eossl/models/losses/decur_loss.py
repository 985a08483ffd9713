"""DeCUR's loss: Barlow Twins cross-correlations split into common and unique dimensions.

DeCUR (Wang et al., ECCV 2024, ``zhu-xlab/DeCUR``, ``src/pretrain/models/decur.py``) embeds two
augmented views of each modality (S1, S2) and sums three cross-correlation losses:

- intra-modal, per modality: Barlow Twins between its two views (every dimension invariant);
- cross-modal, between view 1 of each modality: the first ``dim_common`` dimensions are
  *common* (diagonal pulled to 1, as Barlow Twins), the other ones *unique* (diagonal pushed to
  0, i.e. decorrelated across modalities); off-diagonals are pushed to 0 (weight ``lambd``) inside
  each block; the cross-modal loss is the mean of the two blocks' losses.

The total is the mean of the three losses. Each embedding is standardized over the batch first
(the official ``BatchNorm1d(affine=False)`` in training mode: biased variance, ``eps``).
"""
import torch
from torch import nn

from eossl.models.utils import all_gather_with_grad
from eossl.models.utils.full_precision import full_precision
from eossl.registry import MODELS


def standardize(z: torch.Tensor, eps: float = 1e-5) -> torch.Tensor:
    """``(N, D)`` → zero mean, unit (biased) variance per dimension, as ``BatchNorm1d``."""
    mean = z.mean(dim=0, keepdim=True)
    var = z.var(dim=0, unbiased=False, keepdim=True)
    return (z - mean) / torch.sqrt(var + eps)


def correlation_terms(c: torch.Tensor, on_diagonal_target: float) -> tuple[torch.Tensor,
                                                                           torch.Tensor]:
    """``(Σ_i (c_ii − target)², Σ_{i≠j} c_ij²)`` of a square ``(D, D)`` correlation block."""
    diagonal = torch.diagonal(c)
    on = (diagonal - on_diagonal_target).pow(2).sum()
    off = c.pow(2).sum() - diagonal.pow(2).sum()
    return on, off


@MODELS.register_module()
class DeCURLoss(nn.Module):
    """DeCUR's intra- and cross-modal decoupled cross-correlation losses (see module docstring).

    Correlations are over the global batch: embeddings are gathered from every rank with their
    gradient, so every rank computes the same loss and DDP's averaged gradient equals the
    single-process gradient of that batch. (The official code all-reduces the correlation
    matrix without gradient and divides by ``batch_size · 4``, its 4 GPUs: the same loss value
    at 4 GPUs, a gradient 1/world smaller, which AdamW's update does not see.)

    Computed in float32 even inside an autocast step: the diagonal targets are compared with
    sums of N products and 8192² squared terms are added up.

    Args:
        dim_common: number of common dimensions (the first ones) of the cross-modal
            correlation; the remaining ``D − dim_common`` are unique. Official SSL4EO-S12 RN50:
            7168 of 8192.
        lambd: weight of the off-diagonal terms (0.0051, as Barlow Twins).
        eps: variance epsilon of the standardization (``BatchNorm1d`` default).
    """

    def __init__(self, dim_common: int, lambd: float = 0.0051, eps: float = 1e-5) -> None:
        super().__init__()
        if not isinstance(dim_common, int) or dim_common < 1:
            raise ValueError(f'DeCURLoss: dim_common must be a positive int, got {dim_common!r}')
        if lambd < 0 or eps <= 0:
            raise ValueError(f'DeCURLoss: lambd must be >= 0 and eps > 0, got {lambd}, {eps}')
        self.dim_common, self.lambd, self.eps = dim_common, lambd, eps

    def correlation(self, za: torch.Tensor, zb: torch.Tensor) -> torch.Tensor:
        """``(D, D)`` cross-correlation of standardized ``(N, D)`` embeddings over N scenes."""
        return za.T @ zb / za.size(0)

    def barlow(self, c: torch.Tensor) -> torch.Tensor:
        """Barlow Twins loss of a correlation matrix: every diagonal entry pulled to 1."""
        on, off = correlation_terms(c, 1.0)
        return on + self.lambd * off

    def decoupled(self, c: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(common, unique)`` losses of the cross-modal correlation matrix ``c`` (D, D)."""
        k = self.dim_common
        common_on, common_off = correlation_terms(c[:k, :k], 1.0)
        unique_on, unique_off = correlation_terms(c[k:, k:], 0.0)
        return common_on + self.lambd * common_off, unique_on + self.lambd * unique_off

    def forward(self, za1: torch.Tensor, za2: torch.Tensor, zb1: torch.Tensor,
                zb2: torch.Tensor) -> dict[str, torch.Tensor]:
        """The three weighted loss terms of this rank's ``B`` scenes (one value on every rank).

        Args:
            za1, za2: ``(B, D)`` projections of views 1 and 2 of modality a (S1).
            zb1, zb2: ``(B, D)`` projections of views 1 and 2 of modality b (S2), same scenes.

        Returns:
            ``intra_a``, ``intra_b``, ``cross``: the official losses divided by 3 (they sum to
            the official total); ``cross_common``, ``cross_unique``: the two halves of the
            cross-modal loss, undivided and detached, for logging.
        """
        shapes = {tuple(z.shape) for z in (za1, za2, zb1, zb2)}
        if len(shapes) != 1 or za1.dim() != 2:
            raise ValueError(f'DeCURLoss: the four projections must be (B, D) of one shape, got '
                             f'{[tuple(z.shape) for z in (za1, za2, zb1, zb2)]}')
        if self.dim_common >= za1.size(1):
            raise ValueError(f'DeCURLoss: dim_common={self.dim_common} leaves no unique '
                             f'dimension of the {za1.size(1)}-d projections; expected '
                             f'dim_common < {za1.size(1)}')
        with torch.autocast(za1.device.type, enabled=False):
            a1, a2, b1, b2 = (standardize(all_gather_with_grad(full_precision(z)), self.eps)
                              for z in (za1, za2, zb1, zb2))
            intra_a = self.barlow(self.correlation(a1, a2))
            intra_b = self.barlow(self.correlation(b1, b2))
            common, unique = self.decoupled(self.correlation(a1, b1))
        return dict(intra_a=intra_a / 3, intra_b=intra_b / 3, cross=(common + unique) / 6,
                    cross_common=common.detach(), cross_unique=unique.detach())
