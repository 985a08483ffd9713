"""DeCUR built from the shipped recipe vs one training step of the official zhu-xlab/DeCUR model.

``tests/data/parity/decur.npz`` (``eossl/parity/decur.py``, commit inside the file) holds the
official ``DeCUR`` (ResNet-50 per modality, projector 64-64-64, 48 common dimensions) run in
training mode on seeded views, with weights filled by a fixed rule (:func:`seeded_tensor`) and
its state-dict layout. Here the official layout is rebuilt with those weights, converted by
:mod:`eossl.models.utils.decur_checkpoint`, loaded into the recipe's model (sizes shrunk to the
reference's), and the loss terms and gradients are compared.
"""
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

import eossl
from eossl.models.utils.decur_checkpoint import backbone_state, decur_to_eossl
from eossl.parity.decur import seeded_state
from eossl.registry import MODELS

ROOT = Path(__file__).parents[2]
REF = np.load(ROOT / 'tests/data/parity/decur.npz')
RECIPE = 'configs/decur/decur_rn50_s1s2_100e_ssl4eo.py'
TOL = dict(rtol=1e-5, atol=1e-5)


def ref(key: str) -> torch.Tensor:
    return torch.from_numpy(REF[key])


def assert_close_to_scale(ours: torch.Tensor, theirs: torch.Tensor) -> None:
    """Within 1e-5 of the reference's largest entry: random running statistics and He-scaled
    weights let ResNet-50 values and gradients reach ~1e3, where float32 rounding of another
    thread count or kernel already exceeds an absolute 1e-5."""
    scale = theirs.abs().max()
    torch.testing.assert_close(ours / scale, theirs / scale, **TOL)


@pytest.fixture(scope='module', autouse=True)
def one_thread():
    """ResNet-50 steps on a shared 2-core machine: one thread is ~20x faster than two."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope='module')
def official_checkpoint() -> dict:
    """The official training-checkpoint layout: DDP's ``module.`` prefix, epoch, optimizer."""
    state = seeded_state(json.loads(str(REF['state_layout'])))
    return dict(epoch=100, model={f'module.{k}': v for k, v in state.items()}, optimizer={})


@pytest.fixture(scope='module')
def model(official_checkpoint):
    eossl.register_all_modules()
    cfg = Config.fromfile(str(ROOT / RECIPE)).model
    width = int(str(REF['projector']).split('-')[0])
    cfg.neck.update(hid_channels=width, out_channels=width)
    cfg.head.loss.dim_common = int(REF['dim_common'])
    assert cfg.head.loss.lambd == pytest.approx(float(REF['lambd']))
    for name in ('s1_backbone', 's2_backbone'):
        cfg[name].pop('init_cfg')
    with DefaultScope.overwrite_default_scope('eossl'):
        built = MODELS.build(cfg)
    built.load_state_dict(decur_to_eossl(official_checkpoint), strict=True)
    return built


def test_reference_records_the_official_commit():
    assert str(REF['official_repo']) == 'zhu-xlab/DeCUR' and len(str(REF['official_commit'])) == 40


def test_training_step_losses_and_gradients_match_the_official_model(model):
    model.train()
    model.zero_grad()
    inputs = {'s1': [ref('view0'), ref('view1')], 's2': [ref('view2'), ref('view3')]}
    losses = model.loss(inputs)
    total = sum(v for k, v in losses.items() if 'loss' in k)
    total.backward()
    # eossl returns each official term divided by 3: they sum to the official total
    for ours, theirs in (('loss_intra_s1', 'loss_intra_s1'), ('loss_intra_s2', 'loss_intra_s2'),
                         ('loss_cross', 'loss_cross')):
        torch.testing.assert_close(losses[ours] * 3, ref(theirs), **TOL)
    torch.testing.assert_close(total, ref('total'), **TOL)
    params = dict(model.named_parameters())
    for official, ours in (('backbone_1.conv1.weight', 's1_backbone.conv1.weight'),
                           ('backbone_2.conv1.weight', 's2_backbone.conv1.weight'),
                           ('backbone_2.layer4.2.bn3.weight', 's2_backbone.layer4.2.bn3.weight'),
                           ('projector1.1.weight', 's1_neck.bn0.weight'),
                           ('projector1.6.weight', 's1_neck.fc2.weight')):
        assert_close_to_scale(params[ours].grad, ref(f'grad.{official}'))


def test_loss_of_the_official_projections_and_their_gradients():
    loss_fn = MODELS.build(dict(type='DeCURLoss', dim_common=int(REF['dim_common']),
                                lambd=float(REF['lambd'])))
    z = [ref(f'z{i}').requires_grad_() for i in range(4)]
    terms = loss_fn(*z)
    total = terms['intra_a'] + terms['intra_b'] + terms['cross']
    total.backward()
    torch.testing.assert_close(total, ref('total'), **TOL)
    torch.testing.assert_close(terms['cross_common'], ref('loss_cross') * 2 - terms['cross_unique'],
                               **TOL)
    for i in range(4):
        torch.testing.assert_close(z[i].grad, ref(f'grad_z{i}'), **TOL)


def test_converted_backbone_matches_the_official_eval_forward(official_checkpoint):
    backbone = MODELS.build(dict(type='EOResNet', depth=50, in_channels=13, out_indices=(3, )))
    backbone.load_state_dict(backbone_state(official_checkpoint, 's2'), strict=True)
    backbone.eval()
    with torch.no_grad():
        features = backbone(ref('view2')[:2])[-1].mean(dim=(2, 3))
    assert_close_to_scale(features, ref('eval_s2_features'))
