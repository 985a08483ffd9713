"""RGB → C-band first-layer inflation and strict loading of the rest of an RGB checkpoint."""
import pytest
import torch
import torch.nn.functional as F

import eossl  # noqa: F401  (registers the initializer)
from eossl.models.backbones import EOResNet, EOVisionTransformer
from eossl.models.utils import inflate_rgb_weight, load_rgb_checkpoint_inflated, resize_pos_embed
from eossl.registry import MODELS

RGB = ('B4', 'B3', 'B2')  # R, G, B in the order of the RGB checkpoint's input channels
BANDS = ('B2', 'B3', 'B4', 'B8', 'B11')
TINY = dict(embed_dims=24, num_layers=2, num_heads=3)


def _vit(bands, img_size=28) -> EOVisionTransformer:
    return EOVisionTransformer(TINY, bands=bands, img_size=img_size, patch_size=14).eval()


def _randomize(model: torch.nn.Module) -> torch.nn.Module:
    """Non-trivial values everywhere (LayerScale and BN statistics included)."""
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for name, tensor in model.state_dict().items():
            if tensor.is_floating_point():
                value = torch.rand(tensor.shape, generator=gen)
                tensor.copy_(value + 0.5 if 'running_var' in name else value - 0.5)
    return model


def _embed_rgb(rgb: torch.Tensor, bands=BANDS) -> torch.Tensor:
    """(B, 3, H, W) RGB → (B, C, H, W) with R, G, B in B4, B3, B2 and zeros elsewhere."""
    out = rgb.new_zeros(rgb.shape[0], len(bands), *rgb.shape[2:])
    for source, band in enumerate(RGB):
        out[:, bands.index(band)] = rgb[:, source]
    return out


def test_copy_places_kernels_by_band_name_and_scales_by_3_over_c():
    weight = torch.randn(6, 3, 2, 2)
    zero = inflate_rgb_weight(weight, BANDS, 'copy', fill='zero')
    assert zero.shape == (6, 5, 2, 2)
    assert torch.equal(zero[:, 2], weight[:, 0]) and torch.equal(zero[:, 0], weight[:, 2])
    assert torch.equal(zero[:, 1], weight[:, 1]) and (zero[:, 3:] == 0).all()
    mean = inflate_rgb_weight(weight, ['b02', 'B03', 'B04', 'B08', 'B11'], 'copy', fill='mean')
    torch.testing.assert_close(mean[:, 2], weight[:, 0] * 3 / 5)
    torch.testing.assert_close(mean[:, 4], weight.mean(dim=1) * 3 / 5)


def test_mean_fill_keeps_the_response_to_identical_bands():
    """All C bands equal to one image g: the C-band conv gives the RGB conv of (g, g, g)."""
    weight, g = torch.randn(8, 3, 3, 3), torch.randn(2, 1, 9, 9)
    inflated = inflate_rgb_weight(weight, BANDS + ('B12', 'B1'), 'copy', fill='mean')
    torch.testing.assert_close(F.conv2d(g.expand(-1, 7, -1, -1), inflated),
                               F.conv2d(g.expand(-1, 3, -1, -1), weight))


def test_random_strategy_and_bad_arguments():
    weight = torch.randn(4, 3, 7, 7)
    random = inflate_rgb_weight(weight, ('VV', 'VH'), 'random')
    bound = 1 / (2 * 7 * 7) ** 0.5
    assert random.shape == (4, 2, 7, 7) and random.abs().max() <= bound
    with pytest.raises(ValueError, match=r"needs the 3 RGB bands .*missing \['B4', 'B3', 'B2'\]"):
        inflate_rgb_weight(weight, ('VV', 'VH'), 'copy')
    with pytest.raises(ValueError, match=r'expected an RGB weight \(O, 3, k, k\)'):
        inflate_rgb_weight(torch.randn(4, 2, 7, 7), BANDS)
    with pytest.raises(ValueError, match='strategy must be one of'):
        inflate_rgb_weight(weight, BANDS, 'repeat')


@pytest.mark.parametrize('family', ['vit', 'resnet'])
def test_zero_fill_model_reproduces_the_rgb_model(family):
    if family == 'vit':
        rgb_model, model = _randomize(_vit(RGB)), _vit(BANDS)
    else:
        rgb_model, model = _randomize(EOResNet(18, bands=RGB)), EOResNet(18, bands=BANDS)
        rgb_model.eval(), model.eval()  # mmpretrain's ResNet.train() returns None
    load_rgb_checkpoint_inflated(model, rgb_model.state_dict(), strategy='copy', fill='zero')
    # float64: 5-channel and 3-channel convolutions sum in different orders
    model, rgb_model = model.double(), rgb_model.double()
    rgb = torch.randn(2, 3, 28, 28, dtype=torch.float64)
    with torch.no_grad():
        torch.testing.assert_close(model(_embed_rgb(rgb))[-1], rgb_model(rgb)[-1])


def test_mean_fill_vit_matches_rgb_model_on_gray_input():
    rgb_model, model = _randomize(_vit(RGB)), _vit(BANDS)
    load_rgb_checkpoint_inflated(model, rgb_model.state_dict())
    gray = torch.randn(2, 1, 28, 28)
    with torch.no_grad():
        torch.testing.assert_close(model(gray.expand(-1, 5, -1, -1))[0],
                                   rgb_model(gray.expand(-1, 3, -1, -1))[0])


def test_position_grid_of_another_size_is_resized():
    rgb_model, model = _randomize(_vit(RGB, img_size=56)), _vit(BANDS, img_size=28)
    with torch.no_grad():
        rgb_model.pos_embed[:, 1:] = 0.25  # a constant grid stays constant when resized
    load_rgb_checkpoint_inflated(model, rgb_model.state_dict())
    assert model.pos_embed.shape == (1, 5, 24)
    torch.testing.assert_close(model.pos_embed[:, 0], rgb_model.pos_embed[:, 0])
    torch.testing.assert_close(model.pos_embed[:, 1:], torch.full((1, 4, 24), 0.25))
    assert resize_pos_embed(torch.randn(1, 17, 4), (3, 5)).shape == (1, 16, 4)


def test_mismatching_checkpoints_are_refused_with_the_keys_named():
    model = EOResNet(18, bands=BANDS)
    state = dict(EOResNet(18, bands=RGB).state_dict())
    state['fc.weight'], state['fc.bias'] = torch.zeros(10, 512), torch.zeros(10)
    with pytest.raises(ValueError, match=r'unexpected in checkpoint: fc\.bias, fc\.weight'):
        load_rgb_checkpoint_inflated(model, state)
    load_rgb_checkpoint_inflated(model, state, drop_prefixes=('fc.', ))
    del state['layer4.1.bn2.weight']
    with pytest.raises(ValueError, match=r'missing in checkpoint: layer4\.1\.bn2\.weight'):
        load_rgb_checkpoint_inflated(model, state, drop_prefixes=('fc.', ))
    with pytest.raises(ValueError, match='give bands'):
        load_rgb_checkpoint_inflated(torch.nn.Conv2d(3, 4, 3), {'weight': torch.zeros(4, 3, 3, 3)})


def test_initializer_loads_a_wrapped_file_strictly(tmp_path):
    rgb_model = _randomize(_vit(RGB))
    path = tmp_path / 'rgb.pth'
    torch.save({'state_dict': {'backbone.' + k: v for k, v in rgb_model.state_dict().items()}},
               path)
    init = dict(type='RGBInflatedPretrained', checkpoint=str(path), prefix='backbone.',
                fill='zero')
    model = MODELS.build(dict(type='EOVisionTransformer', arch=TINY, bands=BANDS, img_size=28,
                              patch_size=14, init_cfg=init)).eval()
    model.init_weights()
    torch.testing.assert_close(model.blocks[1].mlp.fc2.weight, rgb_model.blocks[1].mlp.fc2.weight)
    with torch.no_grad():
        rgb = torch.randn(1, 3, 28, 28)
        torch.testing.assert_close(model(_embed_rgb(rgb))[0], rgb_model(rgb)[0])
    resnet = MODELS.build(dict(type='EOResNet', depth=18, bands=BANDS, init_cfg=dict(
        type='RGBInflatedPretrained', checkpoint=str(path))))
    with pytest.raises(ValueError, match='zero_init_residual=False'):
        resnet.init_weights()
    with pytest.raises(FileNotFoundError, match='never downloads'):
        load_rgb_checkpoint_inflated(model, tmp_path / 'absent.pth')
