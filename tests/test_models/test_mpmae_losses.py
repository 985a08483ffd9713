"""MP-MAE losses: masked NaN-aware MSE, masked cross-entropy, uncertainty weighting."""
import math

import pytest
import torch
import torch.nn.functional as F

from eossl.models.losses import MaskedCrossEntropyLoss, MaskedMSELoss, UncertaintyWeighting


def test_mse_counts_only_masked_patches():
    pred, target = torch.randn(2, 4, 6), torch.randn(2, 4, 6)
    mask = torch.tensor([[1, 0, 1, 0], [0, 0, 1, 1]], dtype=torch.bool)
    loss = MaskedMSELoss()(pred, target, mask)
    expected = ((pred - target) ** 2).mean(-1)[mask].mean()
    torch.testing.assert_close(loss, expected)
    changed = pred.clone()
    changed[~mask] += 100.  # predictions of visible patches do not matter
    torch.testing.assert_close(MaskedMSELoss()(changed, target, mask), loss)
    changed[0, 0] = target[0, 0] + 100.  # a masked patch does (+1 could move it closer)
    assert MaskedMSELoss()(changed, target, mask) > loss


def test_mse_zero_fills_nan_targets_by_default_as_mmearth():
    pred = torch.tensor([[[1., 2., 3.], [1., 0., 0.]]], requires_grad=True)
    target = torch.tensor([[[0., float('nan'), 1.], [float('nan')] * 3]])
    loss = MaskedMSELoss()(pred, target, torch.ones(1, 2, dtype=torch.bool))
    # NaN → 0: row 0 (1 + 4 + 4) / 3, row 1 (1 + 0 + 0) / 3, mean of the two rows
    assert loss.item() == pytest.approx((3. + 1. / 3) / 2)


def test_mse_flat_reduction_is_one_mean_over_valid_values():
    pred = torch.tensor([[1., 2.], [3., 5.]])
    target = torch.tensor([[0., float('nan')], [0., 0.]])
    loss = MaskedMSELoss(nan_mode='skip', reduction='flat')(pred, target)
    assert loss.item() == pytest.approx((1. + 9. + 25.) / 3)  # per sample first: (1 + 17) / 2


def test_mse_skip_mode_ignores_nan_targets_with_finite_gradients():
    pred = torch.tensor([[[1., 2., 3.], [0., 0., 0.]]], requires_grad=True)
    target = torch.tensor([[[0., float('nan'), 1.], [float('nan')] * 3]])
    loss = MaskedMSELoss(nan_mode='skip')(pred, target, torch.ones(1, 2, dtype=torch.bool))
    # row 0: (1 + 4) / 2 valid elements; row 1 has no valid element and drops out
    assert loss.item() == pytest.approx(2.5)
    loss.backward()
    assert torch.isfinite(pred.grad).all()
    assert pred.grad[0, 0].tolist() == [1., 0., 2.] and pred.grad[0, 1].abs().sum() == 0


def test_mse_per_patch_normalization_uses_valid_elements():
    target = torch.tensor([[[1., 2., float('nan'), 6.]]])
    pred = torch.zeros(1, 1, 4)
    valid = torch.tensor([1., 2., 6.])
    normed = (valid - valid.mean()) / (valid.var(unbiased=True) + 1e-6).sqrt()
    loss = MaskedMSELoss(norm_per_patch=True, nan_mode='skip')(pred, target)
    torch.testing.assert_close(loss, normed.pow(2).mean())


def test_mse_without_valid_targets_is_zero_in_graph():
    pred = torch.randn(2, 3, 4, requires_grad=True)
    target = torch.full((2, 3, 4), float('nan'))
    loss = MaskedMSELoss(nan_mode='skip')(pred, target, torch.ones(2, 3))
    loss.backward()
    assert loss.item() == 0 and torch.equal(pred.grad, torch.zeros_like(pred))


def test_cross_entropy_counts_valid_pixels_of_masked_patches():
    pred = torch.randn(2, 3, 4, 5)  # (B, L, P, K)
    target = torch.randint(0, 5, (2, 3, 4))
    target[0, 0, 1] = -1
    mask = torch.tensor([[1, 0, 1], [0, 1, 0]], dtype=torch.bool)
    loss = MaskedCrossEntropyLoss()(pred, target, mask)
    keep = mask[..., None].expand_as(target) & (target != -1)
    torch.testing.assert_close(loss, F.cross_entropy(pred[keep], target[keep]))
    changed = pred.clone()
    changed[~mask] = torch.randn_like(changed[~mask])
    torch.testing.assert_close(MaskedCrossEntropyLoss()(changed, target, mask), loss)


def test_cross_entropy_image_level_and_all_invalid():
    pred = torch.randn(4, 14, requires_grad=True)
    target = torch.tensor([3, -1, 0, 13])
    loss = MaskedCrossEntropyLoss()(pred, target)
    torch.testing.assert_close(loss, F.cross_entropy(pred[[0, 2, 3]], target[[0, 2, 3]]))
    empty = MaskedCrossEntropyLoss()(pred, torch.full((4,), -1))
    empty.backward()
    assert empty.item() == 0 and torch.equal(pred.grad, torch.zeros_like(pred))


def test_uncertainty_weighting_value_and_gradient():
    weighting = UncertaintyWeighting(['a', 'b', 'c'])
    with torch.no_grad():
        weighting.log_vars.copy_(torch.tensor([0.5, -1.0, 2.0]))
    losses = {'a': torch.tensor(2.0), 'b': torch.tensor(0.3), 'c': torch.tensor(0.0)}
    terms = weighting(losses)
    s = weighting.log_vars.detach()
    assert terms['a'].item() == pytest.approx(math.exp(-0.5) * 2.0 + 0.5)
    assert terms['b'].item() == pytest.approx(math.exp(1.0) * 0.3 - 1.0)
    assert terms['c'].item() == 0  # a task without valid targets adds nothing
    sum(terms.values()).backward()
    expected = [-math.exp(-s[0]) * 2.0 + 1, -math.exp(-s[1]) * 0.3 + 1, 0.]
    torch.testing.assert_close(weighting.log_vars.grad, torch.tensor(expected))


def test_uncertainty_weighting_needs_every_task():
    with pytest.raises(KeyError, match='expected losses'):
        UncertaintyWeighting(['a', 'b'])({'a': torch.tensor(1.)})
    with pytest.raises(ValueError, match='unique'):
        UncertaintyWeighting(['a', 'a'])


@pytest.mark.parametrize('loss_fn, pred, target, mask', [
    (MaskedMSELoss(), torch.randn(2, 4, 6), torch.randn(2, 4, 6), torch.rand(2, 4) > 0.5),
    (MaskedMSELoss(nan_mode='skip', reduction='flat'), torch.randn(3, 5),
     torch.randn(3, 5).masked_fill(torch.rand(3, 5) > 0.7, float('nan')), None),
    (MaskedCrossEntropyLoss(), torch.randn(2, 4, 3, 5), torch.randint(-1, 5, (2, 4, 3)),
     torch.rand(2, 4) > 0.5),
])
def test_masked_losses_run_without_host_syncs(loss_fn, pred, target, mask):
    """No ``.any()`` / ``.item()`` and no boolean-mask indexing (data-dependent shapes): on a
    GPU each of these waits for the device."""
    from torch.utils._python_dispatch import TorchDispatchMode

    class Record(TorchDispatchMode):
        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            called.add(str(func.overloadpacket))
            return func(*args, **(kwargs or {}))

    called = set()
    pred.requires_grad_()
    with Record():
        loss_fn(pred, target, mask).backward()
    assert not called & {'aten._local_scalar_dense', 'aten.nonzero', 'aten.is_nonzero',
                         'aten.masked_select', 'aten.index'}, called
