"""Activation checkpointing (``with_cp``) of EOVisionTransformer: same outputs and gradients,
the blocks really recomputed in the backward pass."""
import copy

import torch

from eossl.models.backbones import EOVisionTransformer

TINY = dict(embed_dims=16, num_layers=3, num_heads=2, mlp_ratio=2.0)


def run(model: EOVisionTransformer, x: torch.Tensor, sparse: bool) -> tuple:
    """Loss, its input gradient and parameter gradients, plus block forward calls."""
    calls = []
    hooks = [b.register_forward_pre_hook(lambda *_: calls.append(1)) for b in model.blocks]
    torch.manual_seed(3)  # the same drop-path draws in both runs
    x = x.clone().requires_grad_(True)
    if sparse:
        tokens = model.select_tokens(model.embed(x), torch.tensor([[0, 2, 3], [1, 2, 3]]))
        out = model.encode(tokens, model.mask_tokens(torch.tensor([[1], [0]]), (2, 2)), 1)
    else:
        out = model(x)[0]
    out.square().sum().backward()
    for h in hooks:
        h.remove()
    grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}
    return out.detach(), x.grad, grads, len(calls)


def test_with_cp_gives_the_same_outputs_and_gradients():
    torch.manual_seed(0)
    plain = EOVisionTransformer(arch=TINY, in_channels=3, img_size=8, patch_size=4,
                                drop_path_rate=0.5, out_type='avg_featmap')
    checkpointed = copy.deepcopy(plain)
    checkpointed.with_cp = True
    x = torch.randn(2, 3, 8, 8)
    for sparse in (False, True):
        plain.zero_grad(), checkpointed.zero_grad()
        out, x_grad, grads, calls = run(plain, x, sparse)
        out_cp, x_grad_cp, grads_cp, calls_cp = run(checkpointed, x, sparse)
        torch.testing.assert_close(out_cp, out, rtol=0, atol=0)
        torch.testing.assert_close(x_grad_cp, x_grad)
        assert grads_cp.keys() == grads.keys() and len(grads) > 10
        for name in grads:
            torch.testing.assert_close(grads_cp[name], grads[name])
        assert (calls, calls_cp) == (3, 6)  # each block recomputed once in backward


def test_with_cp_is_inactive_without_gradients():
    model = EOVisionTransformer(arch=TINY, in_channels=3, img_size=8, patch_size=4, with_cp=True)
    with torch.no_grad():
        model(torch.randn(1, 3, 8, 8))
    model.eval()
    out = model(torch.randn(1, 3, 8, 8, requires_grad=True))[0]
    assert out.grad_fn is not None  # eval mode: plain blocks, still differentiable
