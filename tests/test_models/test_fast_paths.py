"""Fast paths switched by config compute what the reference paths compute: SDPA attention vs
the explicit-matmul attention, channels_last ConvNets vs the default layout."""
import pytest
import torch
import torch.nn.functional as F

from eossl.models.backbones import ConvNeXtV2FCMAE, EOResNet, EOVisionTransformer

TINY_VIT = dict(embed_dims=32, num_layers=3, num_heads=4)


def _vit(fused: bool) -> EOVisionTransformer:
    torch.manual_seed(0)
    return EOVisionTransformer(TINY_VIT, in_channels=5, img_size=32, patch_size=8,
                               out_type='raw', fused_attention=fused)


def test_vit_uses_sdpa_by_default_and_the_naive_path_agrees(monkeypatch):
    calls = []
    sdpa = F.scaled_dot_product_attention
    monkeypatch.setattr(F, 'scaled_dot_product_attention',
                        lambda *a, **k: calls.append(a[0].shape) or sdpa(*a, **k))
    x = torch.randn(2, 5, 32, 32)
    outputs, grads = [], []
    for fused in (True, False):
        vit = _vit(fused)
        count = len(calls)
        out = vit(x)[0]
        out.square().mean().backward()
        outputs.append(out)
        grads.append(vit.blocks[0].attn.qkv.weight.grad)
        # one SDPA call per block on (B, heads, 1 + 16 tokens, D / heads) in the fused path only
        assert len(calls) - count == (3 if fused else 0)
    assert calls[0] == (2, 4, 17, 8)
    torch.testing.assert_close(outputs[0], outputs[1], atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(grads[0], grads[1], atol=1e-5, rtol=1e-4)


def _pair(build) -> tuple[torch.nn.Module, torch.nn.Module]:
    """The default and the channels_last model, built and initialized from the same seed."""
    models = []
    for channels_last in (False, True):
        torch.manual_seed(0)
        models.append(build(channels_last))
        models[-1].init_weights()
    reference, fast = models
    # channels_last changes the layout only: the same seed draws the same weights
    for (name, a), b in zip(reference.state_dict().items(), fast.state_dict().values()):
        assert torch.equal(a, b), name
    return reference, fast


@pytest.mark.parametrize('build', [
    lambda cl: EOResNet(18, in_channels=4, channels_last=cl),
    lambda cl: ConvNeXtV2FCMAE(dict(depths=[1, 1, 1, 1], channels=[8, 8, 16, 16]),
                               in_channels=4, patch_size=8, channels_last=cl),
], ids=['resnet', 'convnextv2'])
def test_channels_last_models_keep_the_layout_and_the_numbers(build):
    reference, fast = _pair(build)
    convs = [m.weight for m in fast.modules() if isinstance(m, torch.nn.Conv2d)]
    # the layout survives init_weights (which draws in the default layout, then converts)
    assert convs and all(w.is_contiguous(memory_format=torch.channels_last) for w in convs)
    assert any(not w.is_contiguous() for w in convs)  # (depthwise and 1×1 kernels are both)
    x = torch.randn(2, 4, 32, 32)
    # eval: batch statistics of two samples would amplify the kernels' summation-order noise
    # (mmpretrain's ResNet.train returns None, so no chaining)
    reference.eval()
    fast.eval()
    expected = reference(x)[-1]
    out = fast(x.contiguous(memory_format=torch.channels_last))[-1]
    torch.testing.assert_close(out, expected, atol=1e-4, rtol=1e-3)
