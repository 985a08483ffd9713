"""SoftContrastiveLoss: hand-computed case, InfoNCE limits, unlabeled handling, 2 ranks = 1."""
import math

import pytest
import torch
import torch.nn.functional as F

from eossl.models.losses import SoftContrastiveLoss

from ..gloo import run_on_ranks


def _info_nce(z1: torch.Tensor, z2: torch.Tensor, tau: float) -> torch.Tensor:
    """Symmetric cross-view InfoNCE written with torch's cross-entropy."""
    z1, z2 = F.normalize(z1, dim=1), F.normalize(z2, dim=1)
    target = torch.arange(z1.shape[0])
    return (F.cross_entropy(z1 @ z2.T / tau, target)
            + F.cross_entropy(z2 @ z1.T / tau, target)) / 2


def test_hand_computed_two_scenes():
    """Labels {0, 2} and {0, 1}: cosine 1/2, so the targets are [[2/3, 1/3], [1/3, 2/3]]."""
    tau = 0.5
    z1 = torch.tensor([[2.0, 0.0], [0.0, 3.0]])  # unit (1, 0), (0, 1) after normalization
    z2 = torch.tensor([[0.6, 0.8], [0.0, 5.0]])  # unit (.6, .8), (0, 1)
    labels = torch.tensor([[1.0, 0.0, 1.0], [1.0, 1.0, 0.0]])
    target = [[2 / 3, 1 / 3], [1 / 3, 2 / 3]]
    # z1_i . z2_j and z2_i . z1_j written out
    sim12 = [[0.6, 0.0], [0.8, 1.0]]
    sim21 = [[0.6, 0.8], [0.0, 1.0]]

    def direction(sim):
        total = 0.0
        for i in range(2):
            log_norm = math.log(sum(math.exp(s / tau) for s in sim[i]))
            total += -sum(target[i][j] * (sim[i][j] / tau - log_norm) for j in range(2))
        return total / 2

    expected = (direction(sim12) + direction(sim21)) / 2
    loss = SoftContrastiveLoss(temperature=tau)(z1, z2, labels)
    assert loss.dim() == 0
    assert loss.item() == pytest.approx(expected, abs=1e-6)
    one_way = SoftContrastiveLoss(temperature=tau, symmetric=False)(z1, z2, labels)
    assert one_way.item() == pytest.approx(direction(sim12), abs=1e-6)


def test_orthogonal_labels_no_labels_and_onehot_target_equal_info_nce():
    torch.manual_seed(0)
    z1, z2 = torch.randn(5, 8), torch.randn(5, 8)
    orthogonal = torch.eye(5, 7)[torch.randperm(5)]  # every scene its own class
    reference = _info_nce(z1, z2, 0.1)
    loss = SoftContrastiveLoss(temperature=0.1)
    torch.testing.assert_close(loss(z1, z2, orthogonal), reference)
    torch.testing.assert_close(loss(z1, z2, None), reference)
    torch.testing.assert_close(loss(z1, z2, torch.zeros(5, 7)), reference)  # all unlabeled
    overlapping = torch.ones(5, 7)
    onehot = SoftContrastiveLoss(temperature=0.1, target='onehot')
    torch.testing.assert_close(onehot(z1, z2, overlapping), reference)
    assert loss(z1, z2, overlapping).item() != pytest.approx(reference.item(), abs=1e-3)


def test_identical_labels_give_uniform_targets():
    torch.manual_seed(1)
    z1, z2 = torch.randn(4, 6), torch.randn(4, 6)
    labels = torch.tensor([[1.0, 1.0, 0.0]]).expand(4, -1)
    tau = 0.3
    n1, n2 = F.normalize(z1, dim=1), F.normalize(z2, dim=1)
    uniform = (-(n1 @ n2.T / tau).log_softmax(1).mean() - (n2 @ n1.T / tau).log_softmax(1).mean())
    torch.testing.assert_close(SoftContrastiveLoss(temperature=tau)(z1, z2, labels), uniform / 2)


def test_targets_are_distributions_and_softmax_target_sharpens_to_onehot():
    labels = torch.tensor([[1.0, 0, 0], [1.0, 1, 0], [0.0, 0, 1], [0.0, 0, 0]])
    own = torch.arange(4)
    for target in ('cosine_rownorm', 'cosine_softmax'):
        t = SoftContrastiveLoss(target=target).targets(labels, labels, own, 4)
        torch.testing.assert_close(t.sum(dim=1), torch.ones(4))
        assert (t >= 0).all() and (t.diagonal() == t.max(dim=1).values).all()
    rownorm = SoftContrastiveLoss().targets(labels, labels, own, 4)
    c = 1 / math.sqrt(2)  # cosine of {0} and {0, 1}
    torch.testing.assert_close(rownorm[0], torch.tensor([1, c, 0, 0]) / (1 + c))
    torch.testing.assert_close(rownorm[3], torch.tensor([0.0, 0, 0, 1]))  # unlabeled: one-hot
    sharp = SoftContrastiveLoss(target='cosine_softmax', label_temperature=0.01)
    torch.testing.assert_close(sharp.targets(torch.eye(3), torch.eye(3), torch.arange(3), 3),
                               torch.eye(3))


def test_ignore_unlabeled_equals_loss_on_labeled_scenes_only():
    torch.manual_seed(2)
    z1, z2 = torch.randn(6, 8), torch.randn(6, 8)
    labels = torch.tensor([[1.0, 0, 1], [0, 0, 0], [1, 1, 0], [0, 1, 0], [0, 0, 0], [1, 0, 0]])
    keep = labels.any(dim=1)
    for target in ('cosine_rownorm', 'cosine_softmax'):
        ignore = SoftContrastiveLoss(target=target, unlabeled='ignore')
        full = ignore(z1, z2, labels)
        torch.testing.assert_close(full, ignore(z1[keep], z2[keep], labels[keep]))
    z1.requires_grad_()
    SoftContrastiveLoss(unlabeled='ignore')(z1, z2, labels).backward()
    assert torch.isfinite(z1.grad).all() and (z1.grad[~keep] == 0).all()
    assert SoftContrastiveLoss(unlabeled='ignore')(z1, z2, torch.zeros(6, 3)).item() == 0


def test_permuting_scenes_does_not_change_the_loss():
    torch.manual_seed(3)
    z1, z2 = torch.randn(5, 4), torch.randn(5, 4)
    labels = (torch.rand(5, 9) > 0.6).float()
    order = torch.randperm(5)
    loss = SoftContrastiveLoss(temperature=0.2)
    torch.testing.assert_close(loss(z1[order], z2[order], labels[order]), loss(z1, z2, labels))
    torch.testing.assert_close(loss(z2, z1, labels), loss(z1, z2, labels))


def test_rejects_bad_arguments():
    with pytest.raises(ValueError, match='same shape'):
        SoftContrastiveLoss()(torch.randn(4, 8), torch.randn(3, 8))
    with pytest.raises(ValueError, match='labels must be'):
        SoftContrastiveLoss()(torch.randn(4, 8), torch.randn(4, 8), torch.ones(3, 2))
    with pytest.raises(ValueError, match='temperature'):
        SoftContrastiveLoss(temperature=0.0)
    with pytest.raises(ValueError, match='target must be one of'):
        SoftContrastiveLoss(target='jaccard')




def _losses(z1: torch.Tensor, z2: torch.Tensor, labels: torch.Tensor) -> list[torch.Tensor]:
    """The losses compared across world sizes: default form and 'ignore' unlabeled."""
    return [SoftContrastiveLoss(temperature=0.1)(z1, z2, labels),
            SoftContrastiveLoss(temperature=0.1, unlabeled='ignore')(z1, z2, labels)]


def _rank_worker(rank: int, world: int, z1: torch.Tensor, z2: torch.Tensor,
                 labels: torch.Tensor, out: str) -> None:
    """One rank: each loss and its gradients on this rank's slice; saved to ``out``."""
    rows = z1.size(0) // world
    part = slice(rank * rows, (rank + 1) * rows)
    results = []
    for index in range(2):
        local1 = z1[part].clone().requires_grad_()
        local2 = z2[part].clone().requires_grad_()
        loss = _losses(local1, local2, labels[part])[index]
        loss.backward()
        results.append(dict(loss=loss.detach(), grad1=local1.grad, grad2=local2.grad))
    torch.save(results, f'{out}/rank{rank}.pt')


def test_two_gloo_ranks_match_single_process(tmp_path):
    """Mean per-rank loss = global loss; DDP-averaged gradients = single-process gradients."""
    world = 2
    gen = torch.Generator().manual_seed(4)
    z1 = torch.randn(6, 5, generator=gen, dtype=torch.float64)
    z2 = torch.randn(6, 5, generator=gen, dtype=torch.float64)
    labels = (torch.rand(6, 9, generator=gen) > 0.6).double()
    labels[[1, 4]] = 0  # unlabeled scenes on both ranks, unequal labeled counts per rank
    labels[0, :] = 0
    run_on_ranks(_rank_worker, world, z1, z2, labels, str(tmp_path))
    ranks = [torch.load(tmp_path / f'rank{r}.pt') for r in range(world)]
    for index in range(2):
        single1, single2 = z1.clone().requires_grad_(), z2.clone().requires_grad_()
        single = _losses(single1, single2, labels)[index]
        single.backward()
        mean_loss = sum(r[index]['loss'] for r in ranks) / world
        assert mean_loss.item() == pytest.approx(single.item(), abs=1e-6)
        # DDP averages gradients over ranks: each rank's own-row gradient divided by `world`
        grad1 = torch.cat([r[index]['grad1'] for r in ranks]) / world
        grad2 = torch.cat([r[index]['grad2'] for r in ranks]) / world
        torch.testing.assert_close(grad1, single1.grad, atol=1e-6, rtol=0)
        torch.testing.assert_close(grad2, single2.grad, atol=1e-6, rtol=0)
