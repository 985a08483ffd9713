"""eossl-visualize-mpmae writes a reconstruction figure for a checkpoint."""
import importlib.util
from pathlib import Path

import matplotlib.image
import pytest
import torch
from mmengine.config import Config

import eossl
from eossl.registry import MODELS
from eossl.testing import make_fake_mmearth

REPO = Path(__file__).resolve().parents[2]
RECIPE = REPO / 'configs' / 'mpmae' / 'mpmae_convnextv2-atto_s2_200e_mmearth-112.py'


def _tool():
    return importlib.import_module('eossl.cli.visualize_mpmae')


def test_figure_has_one_row_per_sample(tmp_path):
    eossl.register_all_modules()
    root = make_fake_mmearth(tmp_path, num_samples=5, size=32)
    checkpoint = tmp_path / 'model.pth'
    torch.save({'state_dict': MODELS.build(Config.fromfile(RECIPE).model).state_dict()},
               checkpoint)
    out = tmp_path / 'figure.png'
    _tool().main([str(RECIPE), str(checkpoint), '--out', str(out), '--num', '2',
                  '--cfg-options', f'train_dataloader.dataset.data_root={root}',
                  'train_dataloader.dataset.pipeline.1.size=32'])
    image = matplotlib.image.imread(out)
    assert image.shape[0] == 600 and image.shape[1] == 1200  # 2 rows x 4 panels at 100 dpi


def test_denormalize_inverts_per_patch_normalization():
    from eossl.models.losses import MaskedMSELoss
    target = torch.randn(2, 3, 8) * 5 + 2
    target[0, 1, 2] = torch.nan
    loss = MaskedMSELoss(norm_per_patch=True)
    normed = loss.normalize_rows(torch.nan_to_num(target), ~torch.isnan(target))
    restored = _tool().denormalize_patches(normed, target, loss.eps)
    valid = ~torch.isnan(target)
    torch.testing.assert_close(restored[valid], target[valid], rtol=1e-4, atol=1e-4)


def test_a_checkpoint_of_another_width_is_refused_not_drawn(tmp_path):
    """It used to load non-strictly and silently: a figure of an untrained model, exit 0."""
    eossl.register_all_modules()
    root = make_fake_mmearth(tmp_path, num_samples=3, size=32)
    cfg = Config.fromfile(RECIPE)
    cfg.model.backbone.arch = dict(depths=[1, 1, 1, 1], channels=[8, 8, 16, 16])
    checkpoint = tmp_path / 'other.pth'
    torch.save({'state_dict': MODELS.build(cfg.model).state_dict()}, checkpoint)
    out = tmp_path / 'figure.png'
    with pytest.raises(ValueError, match=r'other\.pth does not match the model of .*'
                                         r'mmearth-112\.py.*shape mismatches'):
        _tool().main([str(RECIPE), str(checkpoint), '--out', str(out),
                      '--cfg-options', f'train_dataloader.dataset.data_root={root}'])
    assert not out.exists()
