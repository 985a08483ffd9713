"""EOOptimWrapper: autocast on the model's device (CPUs included), loss scaling only for fp16."""
import pytest
import torch
from torch import nn

from eossl.engine.optim_wrapper import EOOptimWrapper


def _wrapper(model: nn.Module, **kwargs) -> EOOptimWrapper:
    return EOOptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1), **kwargs)


def test_bf16_autocasts_on_cpu_without_a_grad_scaler():
    model = nn.Linear(4, 4)
    optim = _wrapper(model, dtype='bfloat16', clip_grad=dict(max_norm=1.0))
    assert optim.loss_scaler is None  # bf16 has fp32's exponent range: nothing to scale
    with optim.optim_context(model):
        out = model(torch.randn(2, 4))
    assert out.dtype == torch.bfloat16
    before = model.weight.detach().clone()
    optim.update_params(out.float().square().mean())
    assert not torch.equal(before, model.weight) and 'loss_scaler' not in optim.state_dict()


def test_fp32_by_default_and_fp16_needs_cuda():
    model = nn.Linear(4, 4)
    with _wrapper(model).optim_context(model):
        assert model(torch.randn(2, 4)).dtype == torch.float32
    fp16 = _wrapper(model, dtype='float16')
    assert fp16.loss_scaler is not None  # fp16 keeps dynamic loss scaling
    with pytest.raises(RuntimeError, match='float16 autocast needs a CUDA device'):
        with fp16.optim_context(model):
            pass
    with pytest.raises(ValueError, match="dtype must be one of"):
        _wrapper(model, dtype='fp8')
