"""ProjectionMLP: the official Linear → ReLU → Linear head, no normalization layers."""
import pytest
import torch
from torch import nn

from eossl.models.necks import ProjectionMLP


def test_matches_linear_relu_linear_on_pooled_features():
    neck = ProjectionMLP(in_channels=8, hid_channels=6, out_channels=4)
    assert [type(m) for m in neck.mlp] == [nn.Linear, nn.ReLU, nn.Linear]
    assert all(m.bias is not None for m in neck.mlp if isinstance(m, nn.Linear))
    feat = torch.randn(3, 8, 5, 5)
    first, last = neck.mlp[0], neck.mlp[2]
    expected = last(torch.relu(first(feat.mean(dim=(2, 3)))))
    (out, ) = neck((torch.randn(3, 16, 5, 5), feat))  # uses the last backbone output
    torch.testing.assert_close(out, expected)


def test_without_pooling_takes_vectors_and_checks_shapes():
    neck = ProjectionMLP(8, 6, 4, with_avg_pool=False)
    assert neck((torch.randn(2, 8), ))[0].shape == (2, 4)
    with pytest.raises(ValueError, match=r'expects \(B, C\)'):
        neck((torch.randn(2, 8, 3, 3), ))
    with pytest.raises(ValueError, match=r'expects \(B, C, H, W\)'):
        ProjectionMLP(8, 6, 4)((torch.randn(2, 8), ))
