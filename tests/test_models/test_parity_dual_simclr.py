"""Dual-SimCLR's NT-Xent, built from the shipped ResNet recipes, vs HSG-AIML/SSLTransformerRS.

``tests/data/parity/dual_simclr.npz`` holds the official ``info_nce_loss`` + cross-entropy of
seeded S1/S2 embeddings and their gradients (commit inside the file).
"""
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config

import eossl
from eossl.registry import MODELS

ROOT = Path(__file__).parents[2]
REF = np.load(ROOT / 'tests/data/parity/dual_simclr.npz')
RECIPES = ['configs/dual_simclr/dual_simclr_rn50_s1s2_200e_sen12ms.py',
           'configs/dual_simclr/dual_simclr_rn18_s1s2_demo_bigearthnet.py']


@pytest.mark.parametrize('path', RECIPES)
def test_nt_xent_and_gradients_match_the_official_loss(path):
    eossl.register_all_modules()
    loss_cfg = Config.fromfile(str(ROOT / path)).model.head.loss
    assert loss_cfg.temperature == pytest.approx(float(REF['temperature']))
    loss_fn = MODELS.build(loss_cfg)
    z1 = torch.from_numpy(REF['z1']).requires_grad_()
    z2 = torch.from_numpy(REF['z2']).requires_grad_()
    loss = loss_fn(z1, z2)
    loss.backward()
    torch.testing.assert_close(loss, torch.from_numpy(REF['loss']), rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(z1.grad, torch.from_numpy(REF['grad_z1']), rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(z2.grad, torch.from_numpy(REF['grad_z2']), rtol=1e-5, atol=1e-5)
