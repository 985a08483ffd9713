"""Position-embedding resizing that stays deterministic in backward (``deterministic=True``)."""
import pytest
import torch
import torch.nn.functional as F

from eossl.models.backbones import eo_vit
from eossl.models.utils.separable_resize import interpolate_by_matrices
from tests.test_models.test_eo_vit import tiny_vit


@pytest.mark.parametrize('kwargs', [
    dict(size=(6, 9), mode='bicubic', align_corners=False),
    dict(scale_factor=(6.1 / 14, 7.1 / 14), mode='bicubic'),  # DINOv2's offset of 0.1
    dict(size=(20, 9), mode='bilinear', align_corners=False)])
def test_matrix_resize_equals_interpolate_forward_and_backward(kwargs):
    x = torch.randn(1, 8, 14, 14, requires_grad=True)
    y = x.detach().clone().requires_grad_()
    weights = torch.randn_like(F.interpolate(x.detach(), **kwargs))
    (interpolate_by_matrices(x, **kwargs) * weights).sum().backward()
    (F.interpolate(y, **kwargs) * weights).sum().backward()
    assert torch.allclose(x.grad, y.grad, atol=1e-5)
    assert torch.allclose(interpolate_by_matrices(x, **kwargs), F.interpolate(y, **kwargs),
                          atol=1e-5)


def test_deterministic_runs_never_backpropagate_through_interpolate(monkeypatch):
    """Under ``use_deterministic_algorithms`` the backbone resizes its position embedding by
    matmuls; an ``F.interpolate`` with gradient (no deterministic CUDA kernel) would fail."""
    torch.manual_seed(0)
    vit = tiny_vit()
    x = torch.randn(2, vit.in_channels, 16, 16)  # not the pretraining size: resized
    expected = vit(x)[-1]
    interpolate = F.interpolate

    def no_deterministic_backward(tensor, *args, **kwargs):
        if tensor.requires_grad:
            raise RuntimeError('upsample_bicubic2d_backward has no deterministic implementation')
        return interpolate(tensor, *args, **kwargs)

    monkeypatch.setattr(eo_vit.F, 'interpolate', no_deterministic_backward)
    was_deterministic = torch.are_deterministic_algorithms_enabled()  # process-wide
    try:
        torch.use_deterministic_algorithms(False)
        with pytest.raises(RuntimeError, match='no deterministic'):
            vit(x)
        torch.use_deterministic_algorithms(True)
        out = vit(x)[-1]
        out.sum().backward()
    finally:
        torch.use_deterministic_algorithms(was_deterministic)
    assert torch.allclose(out, expected, atol=1e-5) and vit.pos_embed.grad is not None
