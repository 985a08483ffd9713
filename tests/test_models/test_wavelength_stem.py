"""Wavelength stems: any set and order of known bands, no new parameters, fixed default intact."""
import pytest
import torch
from mmpretrain.structures import DataSample
from torch import nn

from eossl.datasets.bands import BandLookupError, band_names
from eossl.models.backbones import (
    ConvNeXtV2FCMAE,
    EOResNet,
    EOVisionTransformer,
    WavelengthConv2d,
)
from eossl.models.backbones.vit_blocks import PatchEmbed
from eossl.models.data_preprocessors import SensorMixDataPreprocessor
from eossl.models.heads import PixelPredictionHead
from eossl.models.utils import patchify, route_batch_bands, set_input_bands

L1C = band_names('s2_l1c')
TINY_VIT = dict(arch=dict(embed_dims=32, num_layers=2, num_heads=2), img_size=32, patch_size=8)


def vit(**kwargs) -> nn.Module:
    return EOVisionTransformer(bands=L1C, out_type='avg_featmap', **TINY_VIT, **kwargs)


def resnet(**kwargs) -> nn.Module:
    model = EOResNet(depth=18, bands=L1C, stem_channels=16, base_channels=8, **kwargs)
    model.init_weights()
    return model


def convnext(**kwargs) -> nn.Module:
    model = ConvNeXtV2FCMAE(dict(depths=[1, 1, 1, 1], channels=[8, 8, 16, 16]), bands=L1C,
                            patch_size=8, gap_before_final_norm=True, **kwargs)
    model.init_weights()
    return model


BACKBONES = {'vit': vit, 'resnet': resnet, 'convnext': convnext}


def embed(model: nn.Module, x: torch.Tensor, bands) -> torch.Tensor:
    set_input_bands(model, bands)
    with torch.no_grad():
        return model(x)[-1]


@pytest.mark.parametrize('build', BACKBONES.values(), ids=BACKBONES.keys())
def test_permuting_bands_with_their_names_leaves_the_embedding_unchanged(build):
    torch.manual_seed(0)
    model = build(patch_embed='wavelength').eval()
    x = torch.randn(2, 13, 32, 32)
    perm = torch.randperm(13)
    reference = embed(model, x, L1C)
    permuted = embed(model, x[:, perm], [L1C[i] for i in perm])
    torch.testing.assert_close(permuted, reference, rtol=1e-4, atol=1e-5)
    # permuting the pixels but not the names is a different input: the check can fail
    assert not torch.allclose(embed(model, x[:, perm], L1C), reference, atol=1e-3)


@pytest.mark.parametrize('build', BACKBONES.values(), ids=BACKBONES.keys())
def test_a_band_subset_runs_without_new_parameters(build):
    model = build(patch_embed='wavelength').eval()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    for subset in (band_names('s2_l2a'), ('B2', 'B3', 'B4', 'B8'), ('B4', 'B3', 'B2')):
        out = embed(model, torch.randn(2, len(subset), 32, 32), subset)
        assert out.shape == embed(model, torch.randn(2, 13, 32, 32), L1C).shape
        assert torch.isfinite(out).all()
    after = model.state_dict()
    assert after.keys() == before.keys()
    assert all(torch.equal(after[k], before[k]) for k in before)


def test_the_wrong_band_count_and_an_unknown_band_are_clear_errors():
    model = vit(patch_embed='wavelength')
    set_input_bands(model, ('B2', 'B3', 'B4'))
    with pytest.raises(ValueError, match=r'\(B, 3, H, W\)'):
        model(torch.randn(1, 4, 32, 32))
    with pytest.raises(BandLookupError, match="unknown band 'LWIR'.*'B8A'.*'VV'"):
        set_input_bands(model, ('B2', 'LWIR'))
    with pytest.raises(ValueError, match='needs bands'):
        EOVisionTransformer(in_channels=13, patch_embed='wavelength', **TINY_VIT)


def test_extra_bands_declare_a_sensor_outside_the_table():
    stem = WavelengthConv2d(8, 3, bands=('B4', 'SWIR2_L8'),
                            extra_bands={'SWIR2_L8': (2200.7, 187.0)})
    assert stem(torch.randn(1, 2, 8, 8)).shape == (1, 8, 6, 6)


def test_vv_and_vh_share_a_wavelength_but_get_different_kernels():
    stem = WavelengthConv2d(8, 3, bands=('VV', 'VH'))
    vv, vh = stem.band_kernels()
    assert not torch.allclose(vv, vh)


def test_fixed_stem_default_is_unchanged():
    model = vit()
    assert type(model.patch_embed) is PatchEmbed and isinstance(model.patch_embed.proj, nn.Conv2d)
    assert model.state_dict()['patch_embed.proj.weight'].shape == (32, 13, 8, 8)
    assert isinstance(resnet().conv1, nn.Conv2d)
    assert isinstance(convnext().initial_conv[0], nn.Conv2d)


def test_bands_travel_with_the_batch_to_every_stem():
    model = nn.ModuleDict(dict(s1=resnet(patch_embed='wavelength', wavelength_cfg=dict(
        band_key='s1_bands')), s2=vit(patch_embed='wavelength')))
    samples = [DataSample(metainfo=dict(img_bands=('B4', 'B3', 'B2'), s1_bands=('VH', )))
               for _ in range(2)]
    route_batch_bands(model, samples)
    assert model['s2'].patch_embed.input_bands == ('B4', 'B3', 'B2')
    assert model['s1'].conv1.input_bands == ('VH', )
    route_batch_bands(model, [DataSample(), DataSample()])  # no names: the defaults again
    assert model['s2'].patch_embed.input_bands == L1C
    mixed = [DataSample(metainfo=dict(img_bands=('B2', ))), DataSample(metainfo=dict(
        img_bands=('B3', )))]
    with pytest.raises(ValueError, match='different bands'):
        route_batch_bands(model, mixed)


def test_sensor_mix_keeps_one_drawn_band_set_for_every_view():
    torch.manual_seed(0)
    pre = SensorMixDataPreprocessor(band_sets=dict(l2a='s2_l2a', rgbn=('B2', 'B3', 'B4', 'B8')),
                                    probs=(0, 1))
    views = [torch.arange(13.).view(1, 13, 1, 1).expand(2, 13, 4, 4) for _ in range(2)]
    samples = [DataSample(metainfo=dict(img_bands=L1C)) for _ in range(2)]
    out = pre(dict(inputs=views, data_samples=samples), training=True)
    rgbn_index = torch.tensor([1., 2., 3., 7.]).view(1, 4, 1, 1)
    assert all(torch.equal(v, rgbn_index.expand(2, 4, 4, 4)) for v in out['inputs'])
    assert all(s.metainfo['img_bands'] == ('B2', 'B3', 'B4', 'B8') for s in out['data_samples'])
    evaluated = pre(dict(inputs=views, data_samples=samples), training=False)
    assert evaluated['inputs'][0].shape[1] == 13


def test_pixel_head_scores_only_the_batch_bands():
    head = PixelPredictionHead(8, patch_size=2, out_channels=13, hidden_channels=8,
                               bottleneck_channels=8, bands=L1C)
    head.projector = nn.Identity()  # predictions = the given rows, to check the layout
    images = torch.randn(2, 13, 4, 4)
    subset = ('B8', 'B2', 'B11')
    picked = head(patchify(images, 2), subset)
    torch.testing.assert_close(picked, patchify(images[:, [L1C.index(b) for b in subset]], 2))
