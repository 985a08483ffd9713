"""Whole-step parity: eossl's shipped MP-MAE recipe vs the official MMEarth FCMAE training loop.

``tests/data/parity/mpmae_whole_step.npz`` (``eossl-parity-references --mmearth``, see
:mod:`eossl.parity.mpmae_step`) holds what the official sparse FCMAE — run on an independent
implementation of MinkowskiEngine's semantics (:mod:`eossl.parity.minkowski`), since the official
dense path is a different network — did in ``engine_pretrain.train_one_epoch`` from eossl's
initial weights: 1 and 3 steps at epoch 50 (3 iterations per epoch) on one batch with injected
masks. Here the recipe ``mpmae_convnextv2-atto_s2_200e_mmearth-56.py`` at the same reduced size
runs ``train_step`` with its optimizer wrapper (AdamW, merged weight-decay groups), its lr scaled
as ``auto_scale_lr`` does, and its two param schedulers stepped per iteration. float64 on both
sides; tolerance rtol 1e-7 (atol 1e-12) on losses, gradient / update norms and full tensors.
"""
import copy
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import PARAM_SCHEDULERS
from mmpretrain.structures import DataSample

import eossl
from eossl.parity import mpmae_step as ref_gen
from eossl.parity.step_record import assert_step_matches, eossl_steps, init_norms

ROOT = Path(__file__).parents[2]
REF = np.load(ROOT / 'tests/data/parity/mpmae_whole_step.npz')
TOL = dict(rtol=1e-7, atol=1e-12)


pytestmark = pytest.mark.usefixtures('one_torch_thread')


@pytest.fixture(scope='module')
def setup():
    eossl.register_all_modules()
    cfg = Config.fromfile(str(ROOT / ref_gen.RECIPE))
    model = ref_gen.build_eossl(ref_gen.reduced_model_cfg(cfg.model.to_dict()))
    names = [n for n, _ in model.named_parameters()]
    assert names == list(REF['names'])
    np.testing.assert_allclose(init_norms(dict(model.named_parameters()), names),
                               REF['init_norm'], rtol=1e-12)
    # the preprocessor decodes to float32: lossless here (the batch holds float32 values),
    # then widened back to the float64 of the comparison
    preprocess = model.data_preprocessor.forward
    model.data_preprocessor.forward = lambda data, training=False: {
        **(out := preprocess(data, training)),
        'inputs': {k: v.double() for k, v in out['inputs'].items()}}
    return model, copy.deepcopy(model.state_dict()), cfg


def run(setup, steps: tuple[int, ...], optim_changes: dict | None = None,
        epoch: int = ref_gen.EPOCH) -> dict:
    model, initial, cfg = setup
    model.load_state_dict(initial)
    masks = [torch.from_numpy(m).bool() for m in REF['masks']]
    model.generate_mask = lambda b, grid, device: masks.pop(0).reshape(b, *grid)
    optim_cfg = cfg.optim_wrapper.to_dict()
    batch = ref_gen.B  # one process: auto_scale_lr's lr × (1 × batch) / base_batch_size
    optim_cfg['optimizer'].update(lr=cfg.optim_wrapper.optimizer.lr * batch /
                                  cfg.auto_scale_lr.base_batch_size, **(optim_changes or {}))
    wrapper = build_optim_wrapper(model, optim_cfg)
    schedulers = [PARAM_SCHEDULERS.build(s, default_args=dict(
        optimizer=wrapper, epoch_length=ref_gen.EPOCH_LENGTH)) for s in cfg.param_scheduler]
    for _ in range(epoch * ref_gen.EPOCH_LENGTH):
        for s in schedulers:
            s.step()
    x = ref_gen.step_batch()
    samples = [DataSample() for _ in x]
    for sample, value in zip(samples, x):
        sample.set_field(value, 'sentinel2')
    data = {'inputs': {'sentinel2': list(x)}, 'data_samples': samples}
    return eossl_steps(model, wrapper, data, steps, ref_gen.FULL,
                       after_step=lambda i: [s.step() for s in schedulers])


def check(ours: dict, steps: int) -> None:
    assert_step_matches(ours, REF, steps, ref_gen.FULL, TOL, ('loss', 'sentinel2_err'))


def test_whole_step_mpmae_reference_records_the_official_commit():
    assert str(REF['official_repo']) == 'vishalned/MMEarth-train'
    assert len(str(REF['official_commit'])) == 40


def test_whole_step_mpmae_matches_the_official_training_loop(setup):
    ours = run(setup, (1, 3))
    check(ours, 1)
    check(ours, 3)


@pytest.mark.parametrize('change', [dict(optim_changes=dict(weight_decay=0.04)), dict(epoch=60)])
def test_whole_step_mpmae_fails_when_a_recipe_option_changes(setup, change):
    """Weight decay 0.04 instead of 0.05, or the schedule's lr of epoch 60 instead of 50."""
    ours = run(setup, (1, ), **change)
    with pytest.raises(AssertionError, match='Not equal to tolerance'):
        check(ours, 1)
