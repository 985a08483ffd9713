"""MergedGroupsOptimWrapperConstructor: mmengine's per-parameter lr / weight decay, fewer groups."""
from pathlib import Path

import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper

import eossl
from eossl.engine.merged_groups_constructor import merge_groups
from eossl.registry import MODELS

REPO = Path(__file__).resolve().parents[2]
RECIPE = REPO / 'configs/mpmae/mpmae_convnextv2-atto_all-uncertainty_200e_mmearth-56.py'


def _per_param(optim_wrapper) -> dict[int, tuple]:
    """``{id(param): (lr, weight_decay, decay_mult)}``; fails if a parameter is listed twice."""
    out = {}
    for group in optim_wrapper.optimizer.param_groups:
        for p in group['params']:
            assert id(p) not in out
            out[id(p)] = (group['lr'], group['weight_decay'], group.get('decay_mult'))
    return out


def test_mpmae_recipe_keeps_every_parameter_lr_and_decay_in_three_groups():
    eossl.register_all_modules()
    cfg = Config.fromfile(str(RECIPE))
    assert cfg.optim_wrapper.constructor == 'eossl.MergedGroupsOptimWrapperConstructor'
    model = MODELS.build(cfg.model)
    merged = build_optim_wrapper(model, cfg.optim_wrapper)
    default_cfg = cfg.optim_wrapper.copy()
    default_cfg.pop('constructor')
    default = build_optim_wrapper(model, default_cfg)
    assert len(default.optimizer.param_groups) > 100
    assert len(merged.optimizer.param_groups) == 3  # decayed, not decayed, GRN (decay_mult 1)
    assert _per_param(merged) == _per_param(default)
    assert set(_per_param(merged)) == {id(p) for p in model.parameters()}
    # no decay on norms / biases / log-variances, decay on GRN: the schedule's rules
    wd = {name: _per_param(merged)[id(p)][1] for name, p in model.named_parameters()}
    assert wd['backbone.stages.0.0.grn.gamma'] == wd['backbone.stages.0.0.pointwise_conv1.weight']
    assert wd['backbone.stages.0.0.grn.gamma'] == 0.05 and wd['loss_weighting.log_vars'] == 0.0

    # one AdamW step from equal gradients: bit-identical parameters
    params = list(model.parameters())
    start = [p.detach().clone() for p in params]
    grads = [torch.randn_like(p, generator=torch.Generator().manual_seed(i))
             for i, p in enumerate(params)]
    after = []
    for optim_wrapper in (default, merged):
        with torch.no_grad():
            for p, s, g in zip(params, start, grads):
                p.copy_(s)
                p.grad = g.clone()
        optim_wrapper.step()
        after.append([p.detach().clone() for p in params])
    assert all(torch.equal(a, b) for a, b in zip(*after))
    assert not all(torch.equal(a, s) for a, s in zip(after[0], start))


def test_merge_groups_keeps_order_and_separates_different_options():
    a, b, c = (torch.nn.Parameter(torch.zeros(1)) for _ in range(3))
    groups = [{'params': [a], 'lr': 1., 'betas': [0.9, 0.95]},
              {'params': [b], 'lr': 2., 'betas': [0.9, 0.95]},
              {'params': [c], 'lr': 1., 'betas': [0.9, 0.95]}]
    merged = merge_groups(groups)
    assert [[id(p) for p in g['params']] for g in merged] == [[id(a), id(c)], [id(b)]]
    assert [g['lr'] for g in merged] == [1., 2.] and merged[0]['betas'] == [0.9, 0.95]
