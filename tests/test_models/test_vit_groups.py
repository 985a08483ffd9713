"""Several token groups (global + local crops) through one block call per layer."""
import pytest
import torch

from eossl.models.backbones import EOVisionTransformer
from eossl.models.backbones.vit_blocks import Block

DIM = 16


def groups() -> list[torch.Tensor]:
    return [torch.randn(3, 5, DIM), torch.randn(4, 2, DIM)]


@pytest.mark.parametrize('mode', ['subset', 'mask'])
def test_grouped_call_equals_separate_calls_without_drop_path(mode):
    torch.manual_seed(0)
    block = Block(DIM, 4, drop_path=0.3, drop_path_mode=mode).eval()
    xs = groups()
    for ours, theirs in zip(block(xs), [block(x) for x in xs]):
        torch.testing.assert_close(ours, theirs, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize('p', [0.05, 0.3])
def test_grouped_subset_drop_path_follows_the_official_nested_order(p):
    """Official nested path: at any rate > 0, one randperm per group, then the branch on the
    kept sequences of all groups, then ``index_add`` scaled by B_g / K_g; attention first."""
    torch.manual_seed(0)
    block = Block(DIM, 4, layer_scale_init_value=0.5, drop_path=p).train()
    xs = groups()
    torch.manual_seed(5)
    ours = block(xs)
    torch.manual_seed(5)
    expected = xs
    for branch in (lambda t: block.ls1(block.attn(block.norm1(t))),
                   lambda t: block.ls2(block.mlp(block.norm2(t)))):
        kept = [torch.randperm(len(x))[:max(int(len(x) * (1 - p)), 1)] for x in expected]
        expected = [x.index_add(0, i, branch(x[i]), alpha=len(x) / len(i))
                    for x, i in zip(expected, kept)]
    for a, b in zip(ours, expected):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5)
    assert any(not torch.allclose(a, x + 0) for a, x in zip(ours, xs))


def test_encode_on_a_list_equals_encoding_each_group():
    vit = EOVisionTransformer(arch=dict(embed_dims=DIM, num_layers=3, num_heads=4),
                              in_channels=2, img_size=16, patch_size=4,
                              num_register_tokens=1).eval()
    big, small = vit.embed(torch.randn(2, 2, 16, 16)), vit.embed(torch.randn(3, 2, 8, 8))
    extra = vit.mask_tokens(torch.tensor([[1, 7], [0, 3]]), (4, 4))
    ours = vit.encode([big, small], [extra, None], insert_at=1)
    theirs = [vit.encode(big, extra, insert_at=1), vit.encode(small)]
    for a, b in zip(ours, theirs):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match='one \\(or None\\) per group'):
        vit.encode([big, small], [extra], insert_at=1)
