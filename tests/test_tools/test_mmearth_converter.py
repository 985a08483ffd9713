"""eossl-mmearth-to-eossl on a state dict crafted in the official layout."""
import importlib.util
from pathlib import Path

import pytest
import torch

import eossl
from eossl.registry import MODELS

REPO = Path(__file__).resolve().parents[2]
OFFICIAL_S2 = ('B1', 'B2', 'B3', 'B4', 'B5', 'B6', 'B7', 'B8A', 'B8', 'B9', 'B11', 'B12')
EOSSL_S2 = ('B1', 'B2', 'B3', 'B4', 'B5', 'B6', 'B7', 'B8', 'B8A', 'B9', 'B11', 'B12')
TO_EOSSL = [EOSSL_S2.index(b) for b in OFFICIAL_S2]  # official band j is eossl band TO_EOSSL[j]
OFFICIAL_TASKS = ['biome', 'sentinel2', 'dynamic_world']  # pred_dict order in the checkpoint
EOSSL_TASKS = ['sentinel2', 'dynamic_world', 'biome']


def _tool():
    return importlib.import_module('eossl.cli.mmearth_to_eossl')


def _model(stem_type: str):
    eossl.register_all_modules()
    torch.manual_seed(0)
    # the pixel heads' patch size is the backbone's (16), filled by MPMAE
    heads = dict(
        sentinel2=dict(type='PixelRegressionHead', in_channels=16, out_channels=12),
        dynamic_world=dict(type='PixelClassificationHead', in_channels=16, num_classes=9),
        biome=dict(type='ImageLevelHead', in_channels=16, out_channels=14))
    model = MODELS.build(dict(
        type='MPMAE', heads={k: heads[k] for k in EOSSL_TASKS},
        backbone=dict(type='ConvNeXtV2FCMAE', arch=dict(depths=[1, 1, 2, 1],
                                                        channels=[8, 8, 16, 16]),
                      in_channels=12, patch_size=16, stem_type=stem_type, out_norm=False),
        neck=dict(type='FCMAEDecoder', in_channels=16, embed_dim=16),
        loss_weighting=dict(type='UncertaintyWeighting')))
    with torch.no_grad():
        for param in model.parameters():
            param.normal_()
    return model


def _kernel(weight: torch.Tensor) -> torch.Tensor:
    """Dense ``(O, I, k, k)`` → Minkowski ``(k·k, I, O)``, offset ``x·k + y`` (y = row
    fastest); depthwise ``(C, 1, k, k)`` → ``(k·k, C)``."""
    out, cin, k, _ = weight.shape
    kernel = weight.permute(3, 2, 1, 0).reshape(k * k, cin, out)
    return kernel[:, 0] if cin == 1 else kernel


def _official(model) -> dict:
    """The official MMEarth FCMAE state dict holding the same weights as ``model``."""
    state = model.state_dict()
    encoder = {k[len('backbone.'):]: v for k, v in state.items() if k.startswith('backbone.')}
    first = 'initial_conv.0' if model.backbone.stem_type == 'mmearth' else 'stem.0'
    out = {}
    for key, value in encoder.items():
        module, param = key.rsplit('.', 1)
        weight = encoder.get(module + '.weight')
        if weight is None:  # GRN gamma / beta: (1, C) in MinkowskiGRN
            value = value.reshape(1, -1)
        elif weight.dim() == 4:  # Minkowski (depthwise) convolution
            if module == first and param == 'weight':
                value = value[:, TO_EOSSL]
            param, value = ('kernel', _kernel(value)) if param == 'weight' else \
                ('bias', value.reshape(1, -1))
        else:  # MinkowskiLayerNorm (.ln) or MinkowskiLinear (.linear)
            module += '.ln' if weight.dim() == 1 else '.linear'
        for old, new in (('depthwise_conv', 'dwconv'), ('pointwise_conv', 'pwconv')):
            module = module.replace(old, new)
        if model.backbone.stem_type == 'convnextv2':
            module = module.replace('stem.', 'stem_orig.')
        out[f'encoder.{module}.{param}'] = value
    _official_decoder(state, out)
    return out


def _official_decoder(state: dict, out: dict) -> None:
    out['proj.weight'], out['proj.bias'] = state['neck.proj.weight'], state['neck.proj.bias']
    out['mask_token'] = state['neck.mask_token']
    for modality in OFFICIAL_TASKS:
        for key, value in state.items():
            if key.startswith('neck.blocks.0.'):
                name = key[len('neck.blocks.0.'):].replace('depthwise_conv', 'dwconv').replace(
                    'pointwise_conv', 'pwconv')
                value = value.reshape(1, 1, 1, -1) if name.startswith('grn') else value
                out[f'decoder_dict.{modality}.0.{name}'] = value
        for param in ('weight', 'bias'):
            layer = 'fc' if modality == 'biome' else 'conv'
            value = state[f'heads.{modality}.{layer}.{param}']
            if modality == 'sentinel2':  # output channel = pixel · 12 + band
                value = value.reshape(-1, 12, *value.shape[1:])[:, TO_EOSSL].reshape(value.shape)
            out[f'pred_dict.{modality}.{param}'] = value
    out['layer_norm_tmp.weight'] = state['image_norm.weight']
    out['layer_norm_tmp.bias'] = state['image_norm.bias']
    log_vars = state['loss_weighting.log_vars']
    out['loss_fn.log_vars'] = log_vars[[EOSSL_TASKS.index(t) for t in OFFICIAL_TASKS]]


@pytest.mark.parametrize('stem_type', ['mmearth', 'convnextv2'])
def test_official_layout_converts_to_the_same_weights(stem_type):
    model = _model(stem_type)
    official = _official(model)
    assert official['encoder.stages.0.0.dwconv.kernel'].shape == (49, 8)
    assert official['encoder.stages.0.0.grn.gamma'].shape == (1, 32)
    converted = _tool().convert(official, tuple(EOSSL_TASKS))
    fresh = _model(stem_type)
    fresh.load_state_dict(converted, strict=True)
    for key, value in model.state_dict().items():
        assert torch.equal(fresh.state_dict()[key], value), key


def test_minkowski_offsets_run_down_the_rows_first():
    kernel = torch.arange(9.).reshape(9, 1)  # depthwise, one channel, offsets 0..8
    dense = _tool().minkowski_to_dense(kernel)[0, 0]
    assert dense[:, 0].tolist() == [0., 1., 2.] and dense[0].tolist() == [0., 3., 6.]


def test_command_line_writes_a_loadable_checkpoint(tmp_path):
    model = _model('mmearth')
    torch.save({'model': _official(model), 'epoch': 199}, tmp_path / 'checkpoint-199.pth')
    _tool().main([str(tmp_path / 'checkpoint-199.pth'), str(tmp_path / 'out.pth'),
                  '--task-order', *EOSSL_TASKS])
    saved = torch.load(tmp_path / 'out.pth', map_location='cpu')
    _model('mmearth').load_state_dict(saved['state_dict'], strict=True)
    assert saved['meta']['s2_bands'] == list(EOSSL_S2)


def test_unknown_keys_and_unshared_decoders_are_errors():
    tool = _tool()
    official = _official(_model('mmearth'))
    with pytest.raises(KeyError, match='unexpected keys'):
        tool.convert({**official, 'head.weight': torch.zeros(1)})
    broken = dict(official)
    broken['decoder_dict.dynamic_world.0.dwconv.weight'] = torch.zeros_like(
        broken['decoder_dict.dynamic_world.0.dwconv.weight'])
    with pytest.raises(ValueError, match='shares one decoder block'):
        tool.convert(broken, tuple(EOSSL_TASKS))
