"""Whole-step parity: eossl's shipped Dual-SimCLR recipe vs the official SSLTransformerRS loop.

``tests/data/parity/dual_simclr_whole_step.npz`` (``eossl-parity-references --ssltrs``) holds,
after 1 and 3 steps of the official ``SimCLRDoubleBackbone.train`` on one fixed batch, started
from eossl's initial weights: the losses, every parameter's gradient norm and update norm, and
three full tensors. Here the recipe ``dual_simclr_rn50_s1s2_200e_sen12ms.py`` (ResNet-18 in place
of ResNet-50: :func:`eossl.parity.dual_simclr.reduced_model_cfg`) runs the same steps through
``train_step`` with the optimizer wrapper built from the recipe (fused Adam, lr, weight decay).

Both sides run in float64 (batch 4 of 16 px: the last BatchNorms see 4 values per channel,
which turns float32 rounding into ~0.3 % gradient differences; at 8 × 64 px float32 agrees to
2e-6 relative, too slow for the suite). Tolerance: losses, gradient norms, update norms and the
full tensors rtol 1e-7 (atol 1e-12). The schedule (CosineAnnealingLR from epoch 10) keeps the lr
constant over these steps, as the official loop does.
"""
import copy
from pathlib import Path

import numpy as np
import pytest
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper

import eossl
from eossl.parity import dual_simclr as ref_gen
from eossl.parity.step_record import assert_step_matches, eossl_steps, init_norms

ROOT = Path(__file__).parents[2]
REF = np.load(ROOT / 'tests/data/parity/dual_simclr_whole_step.npz')


pytestmark = pytest.mark.usefixtures('one_torch_thread')


@pytest.fixture(scope='module')
def setup():
    """The reduced recipe model (seed-0 init, checked against the reference) and its config."""
    eossl.register_all_modules()
    cfg = Config.fromfile(str(ROOT / ref_gen.RECIPE))
    model = ref_gen.build_eossl(ref_gen.reduced_model_cfg(cfg.model.to_dict()))
    names = [n for n, _ in model.named_parameters()]
    assert names == list(REF['names'])
    np.testing.assert_allclose(init_norms(dict(model.named_parameters()), names),
                               REF['init_norm'], rtol=1e-12)
    return model, copy.deepcopy(model.state_dict()), cfg


def run(setup, steps: tuple[int, ...], temperature: float | None = None,
        **optim_changes) -> dict:
    model, initial, cfg = setup
    model.load_state_dict(initial)
    model.head.loss_module.temperature = temperature or cfg.model.head.loss.temperature
    optim_cfg = cfg.optim_wrapper.to_dict()
    optim_cfg['optimizer'].update(optim_changes)
    wrapper = build_optim_wrapper(model, optim_cfg)
    data = {'inputs': {k: list(v) for k, v in ref_gen.step_batch().items()},
            'data_samples': None}
    return eossl_steps(model, wrapper, data, steps, ref_gen.FULL)


def check(ours: dict, steps: int) -> None:
    assert_step_matches(ours, REF, steps, ref_gen.FULL, dict(rtol=1e-7, atol=1e-12))


def test_whole_step_reference_records_the_official_commit():
    assert str(REF['official_repo']) == 'HSG-AIML/SSLTransformerRS'
    assert len(str(REF['official_commit'])) == 40


def test_whole_step_dual_simclr_matches_the_official_training_loop(setup):
    ours = run(setup, (1, 3))
    check(ours, 1)
    check(ours, 3)


@pytest.mark.parametrize('change', [dict(lr=3.3e-5), dict(temperature=0.08)])
def test_whole_step_dual_simclr_fails_when_a_recipe_option_changes(setup, change):
    ours = run(setup, (1, ), **change)
    with pytest.raises(AssertionError, match='Not equal to tolerance'):
        check(ours, 1)
