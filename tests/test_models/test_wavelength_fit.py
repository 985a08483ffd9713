"""A wavelength stem fitted to a fixed-stem checkpoint reproduces the fixed stem on its bands."""
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmpretrain.structures import DataSample

from eossl.cli.fit_wavelength_stem import main as fit_cli
from eossl.datasets.bands import band_names
from eossl.models.backbones import EOVisionTransformer
from eossl.models.utils import load_fixed_stem_checkpoint, set_input_bands
from eossl.registry import MODELS

from .test_wavelength_stem import BACKBONES

RECIPE = (Path(__file__).resolve().parents[2] /
          'configs/softcon/softcon_vits14_s2_100e_ssl4eo_wavelength.py')


@pytest.mark.parametrize('build', BACKBONES.values(), ids=BACKBONES.keys())
def test_fitted_stem_reproduces_the_fixed_stem_on_its_bands(build):
    torch.manual_seed(0)
    fixed = build().eval()
    torch.manual_seed(1)
    wavelength = build(patch_embed='wavelength').eval()
    x = torch.randn(2, 13, 32, 32)
    with torch.no_grad():
        assert not torch.allclose(wavelength(x)[-1], fixed(x)[-1], atol=1e-3)
        errors = load_fixed_stem_checkpoint(wavelength, fixed.state_dict())
        assert max(errors.values()) < 1e-5
        torch.testing.assert_close(wavelength(x)[-1], fixed(x)[-1], rtol=1e-4, atol=1e-4)


def test_fit_from_an_rgb_stem_reproduces_it_on_rgb_and_still_takes_13_bands():
    torch.manual_seed(0)
    kwargs = dict(arch=dict(embed_dims=32, num_layers=1, num_heads=2), img_size=32,
                  patch_size=8)
    rgb = EOVisionTransformer(bands=('B4', 'B3', 'B2'), **kwargs).eval()
    larger_grid = EOVisionTransformer(bands=('B4', 'B3', 'B2'), **{**kwargs, 'img_size': 64})
    model = EOVisionTransformer(bands=band_names('s2_l1c'), patch_embed='wavelength',
                                **kwargs).eval()
    load_fixed_stem_checkpoint(model, rgb.state_dict(), bands=('B4', 'B3', 'B2'))
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        set_input_bands(model, ('B4', 'B3', 'B2'))
        torch.testing.assert_close(model(x)[0], rgb(x)[0], rtol=1e-4, atol=1e-4)
        set_input_bands(model, None)
        assert torch.isfinite(model(torch.randn(2, 13, 32, 32))[0]).all()
    # a checkpoint with another position grid (DINOv2: 37x37) is resized, as RGB inflation does
    load_fixed_stem_checkpoint(model, larger_grid.state_dict(), bands=('B4', 'B3', 'B2'))
    assert model.pos_embed.shape == rgb.pos_embed.shape


def test_cli_writes_a_wavelength_backbone_that_matches_the_fixed_stem(tmp_path):
    recipe = tmp_path / 'tiny.py'  # the SoftCon wavelength recipe at a tiny width
    recipe.write_text(f"_base_ = ['{RECIPE}']\nmodel = dict(backbone=dict(arch=dict("
                      "_delete_=True, embed_dims=32, num_layers=1, num_heads=2), img_size=28))\n")
    cfg = Config.fromfile(str(recipe)).model.backbone
    cfg = {k: v for k, v in cfg.items() if k not in ('type', 'init_cfg', 'patch_embed',
                                                     'wavelength_cfg')}
    fixed = EOVisionTransformer(**cfg).eval()
    torch.save({'state_dict': {f'backbone.{k}': v for k, v in fixed.state_dict().items()}},
               tmp_path / 'fixed.pth')
    meta = fit_cli([str(recipe), str(tmp_path / 'fixed.pth'), str(tmp_path / 'out.pth'),
                    '--prefix', 'backbone.'])
    assert max(meta['fit_error'].values()) < 1e-5
    model = EOVisionTransformer(patch_embed='wavelength', **cfg).eval()
    state = torch.load(tmp_path / 'out.pth', weights_only=True)['state_dict']
    model.load_state_dict({k[len('backbone.'):]: v for k, v in state.items()})
    x = torch.randn(1, 13, 28, 28)
    with torch.no_grad():
        torch.testing.assert_close(model.patch_embed(x), fixed.patch_embed(x), rtol=1e-4,
                                   atol=1e-4)
    assert torch.equal(model.pos_embed, fixed.pos_embed)


def test_a_wavelength_checkpoint_loads_downstream_on_other_bands_without_stem_surgery(tmp_path):
    torch.manual_seed(0)
    kwargs = dict(arch=dict(embed_dims=32, num_layers=1, num_heads=2), img_size=32,
                  patch_size=8, patch_embed='wavelength')
    pretrained = EOVisionTransformer(bands=band_names('s2_l1c'), **kwargs).eval()
    torch.save({'state_dict': {f'backbone.{k}': v for k, v in pretrained.state_dict().items()}},
               tmp_path / 'wl.pth')
    rgbn = ('B2', 'B3', 'B4', 'B8')
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(dict(
            type='eossl.EOImageClassifier', freeze_backbone=True,
            data_preprocessor=dict(type='eossl.EOClsDataPreprocessor', mean=[0.0] * 4,
                                   std=[1.0] * 4),
            backbone=dict(type='eossl.EOVisionTransformer', bands=rgbn, **kwargs,
                          init_cfg=dict(type='Pretrained', checkpoint=str(tmp_path / 'wl.pth'),
                                        prefix='backbone.')),
            head=dict(type='LinearClsHead', num_classes=3, in_channels=32)))
    model.init_weights()
    x = torch.randn(2, 4, 32, 32)
    samples = [DataSample(metainfo=dict(img_bands=rgbn)).set_gt_label(0) for _ in range(2)]
    with torch.no_grad():
        feats = model(x, samples, mode='tensor')
        set_input_bands(pretrained, rgbn)
        torch.testing.assert_close(model.extract_feat(x)[-1], pretrained(x)[-1])
    assert feats.shape == (2, 3)
