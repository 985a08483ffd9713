"""NT-Xent between two modalities of the same scenes (Dual-SimCLR's S1 ↔ S2 loss)."""
import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn

from eossl.models.utils import all_gather_with_grad
from eossl.models.utils.full_precision import full_precision
from eossl.registry import MODELS


@MODELS.register_module()
class CrossModalNTXentLoss(nn.Module):
    """NT-Xent over the 2N embeddings ``[z1; z2]`` of N co-located S1/S2 pairs (global batch).

    For anchor S1_i the only positive is S2_i (and vice versa); the other 2N − 2 embeddings of
    both modalities are negatives; self-similarity is removed. Each rank scores its own 2·B
    anchors against all 2N gathered columns and returns their mean cross-entropy, so the mean of
    the per-rank losses equals the single-process loss over the global batch, and (gradients of
    the gathered columns being summed back to their rank) DDP's averaged gradient equals the
    single-process gradient.

    Args:
        temperature: softmax temperature τ (Dual-SimCLR: 0.07 for ResNet, 0.2 for Swin).
    """

    def __init__(self, temperature: float = 0.07) -> None:
        super().__init__()
        if not temperature > 0:
            raise ValueError(f'CrossModalNTXentLoss: temperature must be > 0, got {temperature}')
        self.temperature = temperature

    def forward(self, z1: torch.Tensor, z2: torch.Tensor) -> torch.Tensor:
        """Loss of this rank's anchors.

        Args:
            z1: ``(B, D)`` embeddings of modality 1 (S1); L2-normalized here.
            z2: ``(B, D)`` embeddings of modality 2 (S2) of the same B scenes, same order.

        Returns:
            Scalar: mean cross-entropy over the ``2B`` local anchors.
        """
        if z1.dim() != 2 or z1.shape != z2.shape:
            raise ValueError('CrossModalNTXentLoss: z1 and z2 must both be (B, D) with the same '
                             f'shape, got {tuple(z1.shape)} and {tuple(z2.shape)}')
        # in fp32 even inside a bf16 autocast step: logits are cosines / τ (τ = 0.07)
        with torch.autocast(z1.device.type, enabled=False):
            z1, z2 = F.normalize(full_precision(z1), dim=1), F.normalize(full_precision(z2), dim=1)
            b = z1.size(0)
            columns1, columns2 = all_gather_with_grad(z1), all_gather_with_grad(z2)
            n = columns1.size(0)
            columns = torch.cat([columns1, columns2])  # (2N, D): all S1, then all S2
            logits = torch.cat([z1, z2]) @ columns.T / self.temperature  # (2B, 2N)

            rank = dist.get_rank() if dist.is_available() and dist.is_initialized() else 0
            own = torch.arange(b, device=z1.device) + rank * b  # global index of local samples
            self_col = torch.cat([own, own + n])
            positive_col = torch.cat([own + n, own])
            is_self = torch.zeros_like(logits, dtype=torch.bool)
            is_self[torch.arange(2 * b, device=z1.device), self_col] = True
            return F.cross_entropy(logits.masked_fill(is_self, float('-inf')), positive_col)
