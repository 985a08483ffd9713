"""The benchmarks' measurement helpers (benchmarks/common.py): FLOP counts that the achieved
FLOP/s ratio rests on, and the fast-path switches that the throughput tables compare."""
import importlib.util
import sys

import pytest
import torch
from mmengine.config import Config

from ..test_tools.training_runs import REPO_ROOT

BENCHMARKS = REPO_ROOT / 'benchmarks'


def _module(name: str):
    """Import ``benchmarks/<name>.py`` (the folder is a set of scripts, not a package)."""
    sys.path.insert(0, str(BENCHMARKS))
    try:
        spec = importlib.util.spec_from_file_location(f'benchmarks_{name}',
                                                      BENCHMARKS / f'{name}.py')
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(BENCHMARKS))


common = _module('common')


@pytest.mark.parametrize('groups', [1, 16])
def test_convolution_flops_forward_and_backward(groups):
    conv = torch.nn.Conv2d(16, 32, 3, padding=1, groups=groups)
    x = torch.randn(2, 16, 8, 8, requires_grad=True)
    flops = common.count_flops(lambda: conv(x).sum())
    # 2 FLOPs per multiply-add: every output element sums (16 / groups) · 3 · 3 products
    forward = 2 * (2 * 32 * 8 * 8) * (16 // groups) * 9
    assert flops['forward'] == forward
    assert flops['backward'] == 2 * forward  # input and weight gradients


def test_linear_flops_without_input_gradient():
    linear = torch.nn.Linear(10, 20)
    flops = common.count_flops(lambda: linear(torch.randn(3, 10)).sum())
    assert flops == dict(forward=2 * 3 * 10 * 20, backward=2 * 3 * 10 * 20)  # weight grad only


def test_fast_path_switches_edit_the_recipe(monkeypatch):
    from eossl.engine import precision
    variants = _module('fast_paths').VARIANTS
    cfg = Config.fromfile(REPO_ROOT / 'configs/dual_simclr/dual_simclr_rn50_s1s2_200e_sen12ms.py')
    cpu = torch.device('cpu')
    assert variants['naive_attention'].skip(cfg, cpu) == 'no ViT backbone'
    monkeypatch.setattr(precision, 'cpu_bf16_instructions', lambda: [])
    assert 'emulation' in variants['bf16'].skip(cfg, cpu)
    monkeypatch.setattr(precision, 'cpu_bf16_instructions', lambda: ['AMX-BF16'])
    assert variants['bf16'].skip(cfg, cpu) is None  # a CPU with bf16 instructions runs it
    variants['channels_last'].apply(cfg)
    variants['fused_adamw'].apply(cfg)
    assert cfg.model.s1_backbone.channels_last and cfg.model.s2_backbone.channels_last
    assert cfg.model.data_preprocessor.channels_last and cfg.optim_wrapper.optimizer.fused
