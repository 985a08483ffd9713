"""SoftCon's soft contrastive loss: InfoNCE whose one-hot target becomes label similarity."""
import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn

from eossl.models.utils import all_gather_with_grad
from eossl.models.utils.full_precision import full_precision
from eossl.registry import MODELS

TARGETS = ('cosine_rownorm', 'cosine_softmax', 'onehot')
UNLABELED = ('infonce', 'ignore')


def _rank() -> int:
    return dist.get_rank() if dist.is_available() and dist.is_initialized() else 0


@MODELS.register_module()
class SoftContrastiveLoss(nn.Module):
    """Cross-entropy between soft label-similarity targets and cross-view embedding similarity.

    For B local scenes (N over all ranks) with embeddings ``z`` (view 1) and ``z'`` (view 2),
    L2-normalized, and multi-hot labels ``y``: logits ``l_ij = z_i · z'_j / τ`` over the N
    gathered columns, target ``t_ij`` from the label similarity ``s_ij = cos(y_i, y_j)`` with
    ``s_ii = 1`` (the other view of the same scene), and per row
    ``ℓ_i = −Σ_j t_ij · log softmax_j(l_ij)``. With ``symmetric`` the same is done for
    ``z' · zᵀ`` and the two means are averaged.

    Targets (``target``):

    - ``'cosine_rownorm'`` (default): ``t_ij = s_ij / Σ_k s_ik``. When every pair of distinct
      scenes has orthogonal labels, ``t`` is the identity and the loss IS InfoNCE.
    - ``'cosine_softmax'``: ``t_i = softmax(s_i / label_temperature)``, a sharper target that
      only approaches InfoNCE as ``label_temperature → 0``.
    - ``'onehot'``: ``t_ij = [i = j]``, plain InfoNCE (labels ignored): the hard contrastive
      baseline.

    Why this default: design/METHODS.md §1 fixes the target as the cosine of the multi-hot
    vectors with ``t_ii = 1``; the official pretraining code is unreleased (zhu-xlab/softcon
    holds only inference examples), so the normalization is ours. Row normalization makes each
    row a distribution (what a cross-entropy needs) and is the only one of these that reduces
    exactly to InfoNCE on label-disjoint batches.

    Unlabeled scenes (an all-zero label vector): ``s_ij = 0`` for ``j ≠ i``. With
    ``unlabeled='infonce'`` their only positive is their own other view (an InfoNCE row under
    the row-normalized target) and they act as negatives for the others; with ``'ignore'`` they
    take no part at all (neither rows nor columns).

    Distributed: embeddings are gathered with gradient, labels without; each rank returns the
    sum of its rows' losses divided by the global number of counted rows over the world size,
    so the mean over ranks (what DDP optimizes) equals the single-process loss of the global
    batch. All ranks must pass labels or all ``None``.

    Args:
        temperature: τ of the embedding logits.
        symmetric: also score view 2 against view 1 and average.
        target: one of ``TARGETS``.
        label_temperature: temperature of the ``'cosine_softmax'`` target.
        unlabeled: one of ``UNLABELED``.
        loss_weight: multiplier of the returned loss.
    """

    def __init__(self, temperature: float = 0.2, symmetric: bool = True,
                 target: str = 'cosine_rownorm', label_temperature: float = 0.1,
                 unlabeled: str = 'infonce', loss_weight: float = 1.0) -> None:
        super().__init__()
        if not temperature > 0 or not label_temperature > 0:
            raise ValueError(f'SoftContrastiveLoss: temperatures must be > 0, got {temperature} '
                             f'and label_temperature={label_temperature}')
        if target not in TARGETS or unlabeled not in UNLABELED:
            raise ValueError(f'SoftContrastiveLoss: target must be one of {TARGETS} and '
                             f'unlabeled one of {UNLABELED}, got {target!r}, {unlabeled!r}')
        self.temperature, self.symmetric, self.target = temperature, symmetric, target
        self.label_temperature, self.unlabeled = label_temperature, unlabeled
        self.loss_weight = loss_weight

    def targets(self, labels: torch.Tensor | None, columns: torch.Tensor | None, own: torch.Tensor,
                num_columns: int) -> torch.Tensor:
        """Soft targets ``(B, N)``: rows = local scenes, columns = the gathered scenes.

        Args:
            labels: local multi-hot labels ``(B, K)`` or ``None`` (one-hot targets).
            columns: gathered labels ``(N, K)`` (``None`` with ``labels``).
            own: ``(B,)`` global column index of each local scene.
            num_columns: N.
        """
        rows = torch.arange(own.numel(), device=own.device)
        if self.target == 'onehot' or labels is None:
            onehot = torch.zeros(own.numel(), num_columns, device=own.device)
            onehot[rows, own] = 1.0
            return onehot
        sim = F.normalize(labels.float(), dim=1) @ F.normalize(columns.float(), dim=1).T
        sim[rows, own] = 1.0
        if self.target == 'cosine_rownorm':
            return sim / sim.sum(dim=1, keepdim=True)
        if self.unlabeled == 'ignore':  # counted rows drop the unlabeled columns
            sim = sim.masked_fill(labels.any(dim=1)[:, None] & ~columns.any(dim=1)[None, :],
                                  float('-inf'))
        return torch.softmax(sim / self.label_temperature, dim=1)

    def forward(self, z1: torch.Tensor, z2: torch.Tensor,
                labels: torch.Tensor | None = None) -> torch.Tensor:
        """Scalar loss of this rank's scenes.

        Args:
            z1: ``(B, D)`` embeddings of view 1 (normalized here).
            z2: ``(B, D)`` embeddings of view 2 of the same scenes, same order.
            labels: ``(B, K)`` multi-hot labels (bool/float; all-zero row = unlabeled) or
                ``None`` (no labels: InfoNCE).
        """
        if z1.dim() != 2 or z1.shape != z2.shape:
            raise ValueError('SoftContrastiveLoss: z1 and z2 must both be (B, D) with the same '
                             f'shape, got {tuple(z1.shape)} and {tuple(z2.shape)}')
        if labels is not None and (labels.dim() != 2 or labels.shape[0] != z1.shape[0]):
            raise ValueError(f'SoftContrastiveLoss: labels must be (B, K) with B={z1.shape[0]}, '
                             f'got {tuple(labels.shape)}')
        # in fp32 even inside a bf16 autocast step: logits are cosines / τ
        with torch.autocast(z1.device.type, enabled=False):
            z1, z2 = F.normalize(full_precision(z1), dim=1), F.normalize(full_precision(z2), dim=1)
            b = z1.shape[0]
            columns1, columns2 = all_gather_with_grad(z1), all_gather_with_grad(z2)
            label_columns = None if labels is None else all_gather_with_grad(labels.float())
            own = torch.arange(b, device=z1.device) + _rank() * b
            target = self.targets(labels, label_columns, own, columns1.shape[0])

            valid_rows = torch.ones(b, dtype=torch.bool, device=z1.device)
            valid_cols = None
            if self.unlabeled == 'ignore' and labels is not None:
                valid_rows, valid_cols = labels.any(dim=1), label_columns.any(dim=1)
            pairs = [(z1, columns2)] + ([(z2, columns1)] if self.symmetric else [])
            row_loss = sum(self._row_loss(q, k, target, valid_rows, valid_cols) for q, k in pairs)
            row_loss = row_loss / len(pairs)
            # a mask, not a boolean index: no host sync for the number of counted rows
            counted = row_loss.masked_fill(~valid_rows, 0.0).sum()
            return self.loss_weight * counted / self._rows_per_rank(valid_rows)

    def _row_loss(self, queries: torch.Tensor, keys: torch.Tensor, target: torch.Tensor,
                  valid_rows: torch.Tensor, valid_cols: torch.Tensor | None) -> torch.Tensor:
        """``(B,)`` cross-entropy of each row of ``queries · keysᵀ / τ`` against ``target``."""
        logits = queries @ keys.T / self.temperature
        if valid_cols is not None:  # only counted rows lose columns, so no row is all -inf
            logits = logits.masked_fill(valid_rows[:, None] & ~valid_cols[None, :], float('-inf'))
        log_prob = F.log_softmax(logits, dim=1)
        return -torch.where(target > 0, target * log_prob, torch.zeros_like(log_prob)).sum(dim=1)

    def _rows_per_rank(self, valid_rows: torch.Tensor) -> torch.Tensor | float:
        """Global number of counted rows over the world size (every row counts but 'ignore')."""
        if self.unlabeled != 'ignore':
            return float(valid_rows.numel())  # every rank holds the same B rows
        count, world = valid_rows.sum().float().reshape(1), 1
        if dist.is_available() and dist.is_initialized():
            dist.all_reduce(count)
            world = dist.get_world_size()
        return count.clamp(min=1.0) / world
