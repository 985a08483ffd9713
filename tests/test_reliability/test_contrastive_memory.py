"""The contrastive losses hold O(N²) memory only in their similarity matrices: what autograd
keeps for the backward grows as a·N·D + b·N², with b a handful of N × N matrices and
independent of the embedding width D (no (N, N, D) intermediate)."""
import pytest
import torch

from eossl.models.losses import CrossModalNTXentLoss, SoftContrastiveLoss


def saved_bytes(loss_fn, n: int, dim: int, labels: bool) -> int:
    """Bytes of the distinct storages autograd saves for the backward of one loss call."""
    z1 = torch.randn(n, dim, requires_grad=True)
    z2 = torch.randn(n, dim, requires_grad=True)
    args = (torch.randint(0, 2, (n, 6)).float(),) if labels else ()
    storages = {}

    def keep(tensor: torch.Tensor) -> torch.Tensor:
        storages[tensor.untyped_storage().data_ptr()] = tensor.untyped_storage().nbytes()
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(keep, lambda tensor: tensor):
        loss_fn(z1, z2, *args)
    return sum(storages.values())


@pytest.mark.parametrize('loss_fn, labels, max_matrices', [
    # float32 logits (2N × 2N) = 4 N² values + a boolean self-mask: 5 N² measured
    (CrossModalNTXentLoss(), False, 6),
    # log-softmax of both directions, the soft target and the label similarity: 3.5 N²
    (SoftContrastiveLoss(), True, 4),
], ids=['nt_xent', 'soft_contrastive'])
def test_quadratic_memory_is_a_few_similarity_matrices(loss_fn, labels, max_matrices: int):
    n = 128
    quadratic = {}
    for dim in (16, 128):
        small, large = (saved_bytes(loss_fn, size, dim, labels) for size in (n, 2 * n))
        # bytes(N) = a·N + b·N²  ⇒  bytes(2N) − 2·bytes(N) = 2·b·N²
        quadratic[dim] = (large - 2 * small) / (2 * n * n)
    assert quadratic[16] == pytest.approx(quadratic[128], rel=0.05)  # no N × N × D tensor
    assert 0 < quadratic[16] <= max_matrices * 4  # 4 bytes per float32 N² element
