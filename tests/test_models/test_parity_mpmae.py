"""MP-MAE built from every shipped MP-MAE recipe vs the official MMEarth code's outputs.

``tests/data/parity/mpmae.npz`` was written by ``eossl-parity-references`` from
vishalned/MMEarth-train (commit inside the file): the official ``FCMAE.forward`` loss path
(``nan_to_num``, ``norm_pix_loss``, per-target losses, uncertainty weighting) on given
predictions, ``gen_random_mask``, and the official decoder with its shared image-level
LayerNorm. Only sizes are shrunk here; losses, weighting, mask ratio and head kinds are the
recipe's.
"""
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config
from torch import nn

import eossl
from eossl.datasets.transforms.mmearth_loading import decode_onehot
from eossl.registry import MODELS

ROOT = Path(__file__).parents[2]
REF = np.load(ROOT / 'tests/data/parity/mpmae.npz')
RECIPES = sorted(str(p.relative_to(ROOT)) for p in (ROOT / 'configs/mpmae').glob('*.py'))
P, D = 8, 8  # reference patch size and decoder width
TOL = dict(rtol=1e-5, atol=1e-5)
IMAGE_HEADS = ('sentinel1', 'biome', 'lat')  # the heads the official decoder reference covers
# the recipes that train image-level heads (the S2-only ones have none to compare)
IMAGE_HEAD_RECIPES = [r for r in RECIPES
                      if set(IMAGE_HEADS) <= set(Config.fromfile(str(ROOT / r)).model.heads)]


def ref(key: str) -> torch.Tensor:
    return torch.from_numpy(REF[key])


def build(recipe: Config, heads: dict | None = None):
    """The recipe's MPMAE with a tiny encoder / decoder (D = 8, patch 8)."""
    cfg = recipe.model
    heads = {name: dict(head, in_channels=D) if 'Image' in head['type'] else
             dict(head, in_channels=D, patch_size=P) for name, head in (heads or cfg.heads).items()}
    return MODELS.build(dict(
        cfg, heads=heads, neck=dict(cfg.neck, in_channels=D, embed_dim=D),
        backbone=dict(cfg.backbone, arch=dict(depths=[1, 1, 1, 1], channels=[D] * 4),
                      patch_size=P)))


@pytest.fixture(scope='module', params=RECIPES)
def recipe(request):
    eossl.register_all_modules()
    return Config.fromfile(str(ROOT / request.param))


def test_reference_records_the_official_commit():
    assert str(REF['official_repo']) == 'vishalned/MMEarth-train'
    assert len(str(REF['official_commit'])) == 40


def test_masks_equal_the_official_draw(recipe):
    model = build(recipe)
    for size in (112, 56):  # 7 × 7 grids; 30 of 49 cells masked at 0.6
        torch.manual_seed(5)
        mask = model.generate_mask(4, (7, 7), torch.device('cpu'))
        assert torch.equal(mask.flatten(1).float(), ref(f'mask_{size}'))


def _eossl_target(name: str) -> torch.Tensor:
    target = ref(f'target.{name}')
    if name in ('biome', 'eco_region'):  # as LoadMMEarthSample decodes the stored one-hots
        return torch.stack([torch.from_numpy(decode_onehot(row.numpy())) for row in target])
    return target


def test_pretext_losses_weighting_and_gradients_match(recipe):
    model = build(recipe)
    mask = ref('loss_mask').reshape(-1, 2, 2).bool()
    official_order = [k[len('loss.'):] for k in REF.files if k.startswith('loss.')]
    preds, losses = {}, {}
    for name, head in model.heads.items():
        # the head's last layer is replaced by identity, so the reference prediction is its output
        if hasattr(head, 'conv'):
            head.conv = nn.Identity()
            preds[name] = ref(f'pred.{name}').requires_grad_()
            losses[name] = head.loss(preds[name], _eossl_target(name), mask)
        else:
            head.fc = nn.Identity()
            preds[name] = ref(f'pred.{name}').requires_grad_()
            losses[name] = head.loss(preds[name][..., None, None], _eossl_target(name), mask)
        torch.testing.assert_close(losses[name], ref(f'loss.{name}'), **TOL)
    if list(model.heads) != official_order or model.loss_weighting is None:
        return  # a subset of the targets, or the plain sum: per-target losses only
    log_vars = ref('log_vars')
    with torch.no_grad():
        model.loss_weighting.log_vars.copy_(log_vars)
    total = sum(model.loss_weighting(losses).values())
    torch.testing.assert_close(total, ref('loss_total'), **TOL)
    total.backward()
    for name, pred in preds.items():
        torch.testing.assert_close(pred.grad, ref(f'grad.{name}'), **TOL)


def _grn(value: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    return value.reshape(like.shape)


@pytest.mark.parametrize('recipe_path', IMAGE_HEAD_RECIPES)
def test_decoder_and_shared_norm_heads_match_the_official_forward(recipe_path):
    eossl.register_all_modules()
    recipe = Config.fromfile(str(ROOT / recipe_path))
    model = build(recipe, {k: recipe.model.heads[k] for k in IMAGE_HEADS})
    ours = model.state_dict()
    names = dict(dwconv='depthwise_conv', pwconv1='pointwise_conv1', pwconv2='pointwise_conv2')
    state = {}
    for key in REF.files:
        if not key.startswith('dec_state.'):
            continue
        name = key[len('dec_state.'):]
        if name.startswith(('proj.', 'mask_token')):
            state['neck.' + name] = ref(key)
        elif name.startswith('decoder_dict.sentinel1.0.'):  # one block shared by every target
            layer, param = name.split('.')[3:5]
            target = f'neck.blocks.0.{names.get(layer, layer)}.{param}'
            state[target] = _grn(ref(key), ours[target])
        elif name.startswith('pred_dict.'):
            target = name.split('.')[1]
            layer = 'conv' if target == 'sentinel1' else 'fc'
            state[f'heads.{target}.{layer}.{name.split(".")[2]}'] = ref(key)
        elif name.startswith('layer_norm_tmp.'):
            state['image_norm.' + name.split('.')[1]] = ref(key)
    missing = set(ours) - set(state)
    assert all(k.startswith(('backbone.', 'loss_weighting.')) for k in missing), missing
    model.load_state_dict(state, strict=False)
    model.eval()
    with torch.no_grad():
        inputs = model.head_inputs(model.neck(ref('dec_x'), ref('dec_mask').reshape(-1, 2, 2)))
        out = {name: head(inputs[name]) for name, head in model.heads.items()}
    torch.testing.assert_close(out['sentinel1'],
                               ref('dec_pred.sentinel1').flatten(2).transpose(1, 2), **TOL)
    for name in ('biome', 'lat'):
        torch.testing.assert_close(out[name], ref(f'dec_pred.{name}'), **TOL)


def test_official_init_draws_unit_variance_convolutions(recipe):
    torch.manual_seed(0)
    model = build(recipe)
    model.init_weights()
    head = next(h for h in model.heads.values() if hasattr(h, 'conv'))
    assert 0.8 < head.conv.weight.std() < 1.0  # N(0, 1) truncated at ±2: std 0.88
    assert 0.8 < model.neck.proj.weight.std() < 1.0
    block = model.backbone.stages[0][0]
    assert 0.7 < block.depthwise_conv.weight.std() < 1.05
    assert model.backbone.downsample_layers[0][1].weight.std() < 0.05
