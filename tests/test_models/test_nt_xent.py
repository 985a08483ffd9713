"""CrossModalNTXentLoss: hand-computed case, invariances, single- vs two-process equality."""
import math

import pytest
import torch

from eossl.models.losses import CrossModalNTXentLoss
from eossl.models.utils import all_gather_with_grad

from ..gloo import run_on_ranks


def test_hand_computed_two_pairs():
    """N = 2 pairs in 2-D; the 4×4 similarity matrix of [S1_0, S1_1, S2_0, S2_1] is written out."""
    tau = 0.5
    # unnormalized on purpose: the loss must L2-normalize (unit vectors (1,0) (0,1) (.8,.6) (.6,.8))
    z1 = torch.tensor([[3.0, 0.0], [0.0, 2.0]])
    z2 = torch.tensor([[0.8, 0.6], [1.2, 1.6]])
    sim = [[1.0, 0.0, 0.8, 0.6],
           [0.0, 1.0, 0.6, 0.8],
           [0.8, 0.6, 1.0, 0.96],
           [0.6, 0.8, 0.96, 1.0]]
    positive = {0: 2, 1: 3, 2: 0, 3: 1}
    row_losses = []
    for a in range(4):
        others = [math.exp(sim[a][j] / tau) for j in range(4) if j != a]
        row_losses.append(-sim[a][positive[a]] / tau + math.log(sum(others)))
    expected = sum(row_losses) / 4

    loss = CrossModalNTXentLoss(temperature=tau)(z1, z2)
    assert loss.dim() == 0
    assert loss.item() == pytest.approx(expected, abs=1e-5)


def test_swapping_modalities_and_permuting_pairs_do_not_change_the_loss():
    torch.manual_seed(0)
    z1, z2 = torch.randn(5, 8), torch.randn(5, 8)
    loss_fn = CrossModalNTXentLoss(temperature=0.2)
    order = torch.randperm(5)
    reference = loss_fn(z1, z2)
    torch.testing.assert_close(loss_fn(z2, z1), reference)
    torch.testing.assert_close(loss_fn(z1[order], z2[order]), reference)


def test_aligned_pairs_with_orthogonal_negatives_reach_the_lower_bound():
    """Positive similarity 1, all 2N − 2 negatives 0: loss = log(1 + (2N − 2)·exp(−1/τ))."""
    n, tau = 4, 0.07
    z = torch.eye(n, 8, dtype=torch.float64)  # float64: the loss is ~1e-6
    loss_fn = CrossModalNTXentLoss(temperature=tau)
    aligned = loss_fn(z, z.clone())
    assert aligned.item() == pytest.approx(math.log(1 + (2 * n - 2) * math.exp(-1 / tau)), rel=1e-4)
    assert aligned.item() < 1e-4
    shuffled = loss_fn(z, z.roll(1, dims=0))  # every S2 now matches another scene's S1
    assert shuffled.item() > 10


def test_rejects_bad_shapes_and_temperature():
    with pytest.raises(ValueError, match='same shape'):
        CrossModalNTXentLoss()(torch.randn(4, 8), torch.randn(3, 8))
    with pytest.raises(ValueError, match='temperature'):
        CrossModalNTXentLoss(temperature=0.0)


def _rank_worker(rank: int, world: int, z1: torch.Tensor, z2: torch.Tensor, tau: float,
                 out: str) -> None:
    """One rank: loss and gradients on its slice of the global batch; saved to ``out``."""
    rows = z1.size(0) // world
    local1 = z1[rank * rows:(rank + 1) * rows].clone().requires_grad_()
    local2 = z2[rank * rows:(rank + 1) * rows].clone().requires_grad_()
    loss = CrossModalNTXentLoss(temperature=tau)(local1, local2)
    loss.backward()
    try:  # unequal per-rank batches must fail loudly on every rank, not hang
        all_gather_with_grad(torch.zeros(rank + 1, 2))
        uneven_error = ''
    except ValueError as error:
        uneven_error = str(error)
    torch.save(dict(loss=loss.detach(), grad1=local1.grad, grad2=local2.grad,
                    uneven_error=uneven_error), f'{out}/rank{rank}.pt')


def test_two_gloo_ranks_match_single_process(tmp_path):
    """Mean per-rank loss = global loss; DDP-averaged embedding grads = single-process grads."""
    world, tau = 2, 0.1
    gen = torch.Generator().manual_seed(1)
    z1 = torch.randn(6, 5, generator=gen, dtype=torch.float64)
    z2 = torch.randn(6, 5, generator=gen, dtype=torch.float64)

    single1, single2 = z1.clone().requires_grad_(), z2.clone().requires_grad_()
    single = CrossModalNTXentLoss(temperature=tau)(single1, single2)
    single.backward()

    run_on_ranks(_rank_worker, world, z1, z2, tau, str(tmp_path))
    ranks = [torch.load(tmp_path / f'rank{r}.pt') for r in range(world)]

    mean_loss = sum(r['loss'] for r in ranks) / world
    assert mean_loss.item() == pytest.approx(single.item(), abs=1e-6)
    # DDP averages parameter gradients over ranks, i.e. divides each rank's gradient by `world`
    grad1 = torch.cat([r['grad1'] for r in ranks]) / world
    grad2 = torch.cat([r['grad2'] for r in ranks]) / world
    torch.testing.assert_close(grad1, single1.grad, atol=1e-6, rtol=0)
    torch.testing.assert_close(grad2, single2.grad, atol=1e-6, rtol=0)
    assert all('same batch size' in r['uneven_error'] for r in ranks)
