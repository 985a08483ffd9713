"""``eossl-decur-to-eossl``: an official DeCUR training checkpoint (both backbones and the shared
projector) and a torchgeo / released backbone-only file load strictly into eossl models."""
import re
import sys

import pytest
import torch

import eossl  # noqa: F401  (registers the components)
from eossl.cli import console, decur_to_eossl
from eossl.registry import MODELS


def _branch(bands: tuple[str, ...]) -> dict:
    return dict(type='EOResNet', depth=18, bands=bands, base_channels=8, stem_channels=8)


def _model() -> torch.nn.Module:
    return MODELS.build(dict(
        type='DeCUR', s1_backbone=_branch(('VV', 'VH')), s2_backbone=_branch(('B2', 'B3', 'B4')),
        neck=dict(type='mmpretrain.NonLinearNeck', hid_channels=16, out_channels=16,
                  num_layers=3, with_bias=False, with_last_bn=False, norm_cfg=dict(type='BN1d')),
        head=dict(type='DeCURHead', loss=dict(type='DeCURLoss', dim_common=12))))


def _official(model: torch.nn.Module) -> dict:
    """``model``'s tensors in the official layout: DDP's ``module.``, ``backbone_1/2``, the
    projector as ``nn.Sequential`` indices twice, the affine-free ``bn``'s buffers."""
    state = {}
    for key, value in model.state_dict().items():
        name = key.replace('s1_backbone.', 'backbone_1.').replace('s2_backbone.', 'backbone_2.')
        neck = re.match(r'^s1_neck\.(fc|bn)(\d+)\.(.+)$', key)
        if neck:
            index = 3 * int(neck.group(2)) + (neck.group(1) == 'bn')
            for projector in ('projector1', 'projector2'):
                state[f'module.{projector}.{index}.{neck.group(3)}'] = value.clone()
        elif name.startswith('backbone_'):
            state[f'module.{name}'] = value.clone()
    state.update({'module.bn.running_mean': torch.zeros(16), 'module.bn.running_var':
                  torch.ones(16), 'module.bn.num_batches_tracked': torch.tensor(0)})
    return dict(epoch=99, model=state, optimizer={})


def test_full_checkpoint_converts_to_the_whole_model(tmp_path, capsys):
    source = _model()
    torch.save(_official(source), tmp_path / 'checkpoint_0099.pth')
    decur_to_eossl.main([str(tmp_path / 'checkpoint_0099.pth'), str(tmp_path / 'out.pth')])
    out = torch.load(tmp_path / 'out.pth', weights_only=True)
    assert out['meta']['contents'] == 'model' and out['meta']['in_channels'] == [2, 3]
    target = _model()
    target.load_state_dict(out['state_dict'], strict=True)
    for key, value in source.state_dict().items():
        torch.testing.assert_close(target.state_dict()[key], value, rtol=0, atol=0)
    assert 'DeCUR model' in capsys.readouterr().out


def test_one_backbone_of_a_full_checkpoint_with_a_prefix(tmp_path):
    source = _model()
    torch.save(_official(source), tmp_path / 'full.pth')
    decur_to_eossl.main([str(tmp_path / 'full.pth'), str(tmp_path / 's1.pth'),
                         '--modality', 's1', '--prefix', 'backbone.'])
    out = torch.load(tmp_path / 's1.pth', weights_only=True)
    assert out['meta']['contents'] == 's1'
    backbone = MODELS.build(_branch(('VV', 'VH')))
    backbone.load_state_dict({k.removeprefix('backbone.'): v
                              for k, v in out['state_dict'].items()}, strict=True)
    torch.testing.assert_close(backbone.conv1.weight, source.s1_backbone.conv1.weight)


def test_torchgeo_backbone_file_converts_with_its_classifier_dropped(tmp_path):
    source = MODELS.build(_branch(('B2', 'B3', 'B4')))
    torchgeo = {**source.state_dict(), 'fc.weight': torch.zeros(10, 512 // 8),
                'fc.bias': torch.zeros(10)}  # torchvision names; timm adds a classifier
    torch.save(torchgeo, tmp_path / 'resnet50_sentinel2_all_decur.pth')
    decur_to_eossl.main([str(tmp_path / 'resnet50_sentinel2_all_decur.pth'),
                         str(tmp_path / 'b.pth')])
    out = torch.load(tmp_path / 'b.pth', weights_only=True)
    assert out['meta'] == dict(converted_from=str(tmp_path / 'resnet50_sentinel2_all_decur.pth'),
                               contents='backbone', in_channels=[3])
    MODELS.build(_branch(('B2', 'B3', 'B4'))).load_state_dict(out['state_dict'], strict=True)


def test_a_key_outside_the_layout_is_one_error_line_naming_it(tmp_path, monkeypatch, capsys):
    checkpoint = _official(_model())
    checkpoint['model']['module.extra.weight'] = torch.zeros(1)
    torch.save(checkpoint, tmp_path / 'odd.pth')
    monkeypatch.delenv('EOSSL_DEBUG', raising=False)
    monkeypatch.setattr(sys, 'argv', ['eossl-decur-to-eossl', str(tmp_path / 'odd.pth'),
                                      str(tmp_path / 'out.pth')])
    assert console.decur_to_eossl() == 2
    assert "'extra.weight'" in capsys.readouterr().err
    assert not (tmp_path / 'out.pth').exists()


def test_the_command_is_installed_from_its_module_alone():
    assert 'eossl-decur-to-eossl = eossl.cli.console:decur_to_eossl' in \
        console.console_scripts()
    with pytest.raises(SystemExit):
        decur_to_eossl.main(['--help'])
