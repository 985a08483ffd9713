"""Named weights: catalogue, offline resolution from a hub cache, registration, weights://."""
import json
import sys

import pytest
import torch
from mmengine.config import Config

from eossl.apis import init_model
from eossl.cli import console
from eossl.cli import list_weights as cli
from eossl.models.weights import (
    OFFICIAL_WEIGHTS,
    WeightsNotFoundError,
    build_backbone,
    get_weights,
    is_weights_name,
    list_weights,
    register_checkpoint,
)
from eossl.registry import MODELS
from tests.tiny_checkpoints import (
    official_softcon_vit_state,
    populate_hub_cache,
    write_tiny_vit_checkpoint,
    write_tiny_vit_recipe,
)


def test_catalogue_has_the_official_entries_with_their_contract():
    names = {e.name for e in OFFICIAL_WEIGHTS}
    softcon = {f'softcon_{a}_{m}' for a in ('rn50', 'vits14', 'vitb14') for m in ('s1', 's2')}
    assert softcon <= names and {'dinov2_vits14', 'dinov2_vitb14'} <= names
    assert sum(e.method == 'MP-MAE' for e in OFFICIAL_WEIGHTS) == 4
    entry = get_weights('softcon_vits14_s2')
    assert entry.bands[10] == 'B10' and len(entry.mean) == 13 and entry.input_size == 224
    assert entry.sha256 is None and entry.converter == 'softcon'  # none published: said so
    assert get_weights('softcon_rn50_s1').bands == ('VV', 'VH')
    with pytest.raises(KeyError, match='softcon_vits14_s2'):
        get_weights('softcon_vits14')


def test_nothing_is_found_or_fetched_by_default(offline_hub):
    with pytest.raises(WeightsNotFoundError, match='download=True'):
        init_model('softcon_vits14_s2')
    with pytest.raises(WeightsNotFoundError, match='B13_vits14_softcon'):
        init_model('softcon_vits14_s2', download=True)  # offline and not cached: refused


def test_official_softcon_state_dict_loads_by_name_from_the_hub_cache(offline_hub):
    # DINOv2's chunked block layout (blocks.{chunk}.{i}); the plain one: test_pangaea.py
    state = official_softcon_vit_state(in_chans=13, chunks=4)
    populate_hub_cache(offline_hub, 'wangyi111/softcon', 'B13_vits14_softcon.pth', state)
    model = init_model('softcon_vits14_s2', download=True)  # the download path, offline
    backbone = model.feature_extractor
    assert model.bands == get_weights('softcon_vits14_s2').bands
    qkv = 'blocks.0.1.attn.qkv.weight'
    torch.testing.assert_close(backbone.blocks[1].attn.qkv.weight, state[qkv], rtol=0, atol=0)
    torch.testing.assert_close(backbone.pos_embed, state['pos_embed'], rtol=0, atol=0)
    assert torch.allclose(model.mean.view(-1)[1], torch.tensor(1390.78157673))
    out = backbone(torch.randn(1, 13, 28, 28))[0]
    assert out.shape == (1, 384) and torch.isfinite(out).all()


def test_registered_checkpoint_loads_by_name_and_through_init_cfg(tmp_path, offline_hub):
    recipe = write_tiny_vit_recipe(tmp_path)
    ckpt = write_tiny_vit_checkpoint(recipe, tmp_path / 'run' / 'epoch_1.pth')
    entry = register_checkpoint('my_tiny_vit', ckpt, recipe)
    assert is_weights_name('my_tiny_vit') and entry.input_size == 28
    assert [e.name for e in list_weights()][-1] == 'my_tiny_vit'
    state = torch.load(ckpt)['state_dict']
    model = init_model('my_tiny_vit')
    torch.testing.assert_close(model.feature_extractor.cls_token, state['backbone.cls_token'])
    # every recipe's init_cfg takes the name through weights://
    cfg = Config.fromfile(str(recipe)).model.backbone
    cfg.init_cfg = dict(type='Pretrained', checkpoint='weights://my_tiny_vit', prefix='backbone.')
    backbone = MODELS.build(cfg)
    backbone.init_weights()
    torch.testing.assert_close(backbone.norm.weight, state['backbone.norm.weight'])
    torch.testing.assert_close(build_backbone('my_tiny_vit').pos_embed, state['backbone.pos_embed'])
    torch.save({'state_dict': {}}, ckpt)  # the file changed after registration: refused
    with pytest.raises(ValueError, match='sha256'):
        init_model('my_tiny_vit')


def test_cli_prints_the_catalogue(capsys, offline_hub, monkeypatch):
    assert cli.main([]) == 0
    table = capsys.readouterr().out
    assert 'softcon_vitb14_s1' in table and 'not published' in table and 'dinov2_vits14' in table
    assert cli.main(['--json']) == 0
    entries = json.loads(capsys.readouterr().out)
    assert {'bands', 'mean', 'std', 'input_size', 'modality', 'sha256', 'url', 'converter'} \
        <= set(entries[0])
    monkeypatch.setattr(sys, 'argv', ['eossl-list-weights', '--download', 'no_such_weights'])
    assert console.list_weights() == 2  # a user error: one line, exit 2
    error = capsys.readouterr().err
    assert error.startswith("eossl-list-weights: error: no weights named 'no_such")


def test_rgb_inflated_init_reads_a_named_dinov2_placed_by_hand(offline_hub, tmp_path):
    """The SoftCon recipes' RGB start: init_cfg RGBInflatedPretrained with weights://dinov2_*."""
    dinov2 = official_softcon_vit_state(in_chans=3, img_size=518, seed=3)
    placed = tmp_path / 'eossl_weights' / 'dinov2_vits14.pth'  # $EOSSL_WEIGHTS_DIR/<name>.pth
    placed.parent.mkdir(parents=True)
    torch.save(dinov2, placed)
    bands = get_weights('softcon_vits14_s2').bands
    backbone = MODELS.build(dict(
        type='EOVisionTransformer', arch='small', bands=bands, img_size=224, patch_size=14,
        init_cfg=dict(type='RGBInflatedPretrained', checkpoint='weights://dinov2_vits14',
                      prefix='backbone.', strategy='copy', fill='mean')))
    backbone.init_weights()
    torch.testing.assert_close(backbone.blocks[2].attn.proj.weight,
                               dinov2['blocks.2.attn.proj.weight'])
    assert backbone.pos_embed.shape == (1, 257, 384)  # resampled from DINOv2's 37 x 37 grid


def test_official_softcon_resnet_layout_loads_by_name(offline_hub, tmp_path):
    """SoftCon's README recipe for its RN50: torchvision resnet50, 2-band conv1, fc = Identity."""
    from torchvision.models import resnet50
    official = resnet50()
    official.conv1 = torch.nn.Conv2d(2, 64, kernel_size=7, stride=2, padding=3, bias=False)
    official.fc = torch.nn.Identity()
    placed = tmp_path / 'eossl_weights' / 'softcon_rn50_s1.pth'
    placed.parent.mkdir(parents=True)
    torch.save(official.state_dict(), placed)
    model = init_model('softcon_rn50_s1')
    assert model.bands == ('VV', 'VH')
    torch.testing.assert_close(model.feature_extractor.layer4[2].conv3.weight,
                               official.layer4[2].conv3.weight)
    x = torch.randn(1, 2, 64, 64)
    with torch.no_grad():  # the same features as the official model (before its pooling)
        expected = torch.nn.Sequential(*list(official.children())[:-2]).eval()(x)
        torch.testing.assert_close(model.feature_extractor(x)[-1], expected)
