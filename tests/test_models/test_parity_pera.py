"""PerA components built from every shipped PerA recipe vs the official code's outputs.

``tests/data/parity/pera.npz`` was written by ``eossl-parity-references`` from
SathShen/PerA (commit inside the file); only sizes are shrunk here, every loss / weight / ratio /
drop-path / interpolation setting comes from the recipe.
"""
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config

import eossl
from eossl.models.backbones import EOVisionTransformer
from eossl.models.backbones.vit_blocks import Block
from eossl.models.utils.patch_grid import patchify
from eossl.registry import MODELS, TRANSFORMS

ROOT = Path(__file__).parents[2]
REF = np.load(ROOT / 'tests/data/parity/pera.npz')
RECIPES = sorted(str(p.relative_to(ROOT)) for p in (ROOT / 'configs/pera').glob('*.py')) + [
    'configs/pera_vits.py']
K, B, N_GLOBAL, N_LOCAL, TEACHER_TEMP, PATCH = 64, 4, 2, 3, 0.04, 4
TINY = dict(in_channels=8, hidden_channels=16, bottleneck_channels=8)
TOL = dict(rtol=1e-5, atol=1e-5)


def ref(key: str) -> torch.Tensor:
    return torch.from_numpy(REF[key])


@pytest.fixture(scope='module', params=RECIPES)
def recipe(request):
    eossl.register_all_modules()
    return Config.fromfile(str(ROOT / request.param))


def test_reference_records_the_official_commit():
    assert str(REF['official_repo']) == 'SathShen/PerA' and len(str(REF['official_commit'])) == 40


def test_dino_koleo_and_pixel_losses_and_gradients_match(recipe):
    head = MODELS.build(dict(recipe.model.head, num_prototypes=K, **TINY)).train()
    pixel_head = MODELS.build(dict(recipe.model.pixel_head, patch_size=PATCH, out_channels=3,
                                   **TINY))
    assert (recipe.model.num_global, recipe.model.num_local) == (2, 8)  # shrunk to 2 + 3 here
    for step in (1, 2):  # step 2 runs with the center the first step left
        s = {k: ref(f'step{step}_{k}').requires_grad_() for k in ('s_g', 's_l', 'pred')}
        students = [*s['s_g'].chunk(N_GLOBAL), *s['s_l'].chunk(N_LOCAL)]
        teachers = [*ref(f'step{step}_t_g').chunk(N_GLOBAL), *ref(f'step{step}_t_l').chunk(N_LOCAL)]
        losses = head.loss(students, teachers, TEACHER_TEMP, N_GLOBAL)
        losses.update(pixel_head.loss(s['pred'].flatten(0, 1),
                                      ref(f'step{step}_target').flatten(0, 1)))
        total = losses['loss_dino'] + losses['loss_koleo'] + losses['loss_pixel']
        total.backward()
        for ours, theirs in (('loss_dino', 'dino'), ('loss_koleo', 'koleo')):
            torch.testing.assert_close(losses[ours], ref(f'step{step}_{theirs}'), **TOL)
        for name in ('s_g', 's_l'):
            torch.testing.assert_close(s[name].grad, ref(f'step{step}_grad_{name}'), **TOL)
        if recipe.model.pixel_head.loss.get('norm_per_patch'):  # the eossl option (_normpix)
            assert not torch.allclose(losses['loss_pixel'], ref(f'step{step}_pixel'))
            continue
        torch.testing.assert_close(losses['loss_pixel'], ref(f'step{step}_pixel'), **TOL)
        torch.testing.assert_close(total, ref(f'step{step}_total'), **TOL)
        torch.testing.assert_close(s['pred'].grad, ref(f'step{step}_grad_pred'), **TOL)


RENAMES = {'mlp0.': '', 'last_layer.weight_g': 'last_layer.parametrizations.weight.original0',
           'last_layer.weight_v': 'last_layer.parametrizations.weight.original1'}


def _load_projector(projector, prefix: str) -> None:
    """Official head weights (custom weight_norm: weight_g, weight_v) → BottleneckProjector."""
    state = {}
    for key in (k for k in REF.files if k.startswith(prefix)):
        name = key[len(prefix):]
        for old, new in RENAMES.items():
            name = name.replace(old, new)
        state[name] = ref(key)
    projector.load_state_dict(state, strict=True)


def test_prototype_and_pixel_heads_match_the_official_forward(recipe):
    head = MODELS.build(dict(recipe.model.head, num_prototypes=K, **TINY))
    pixel_head = MODELS.build(dict(recipe.model.pixel_head, patch_size=PATCH, out_channels=3,
                                   **TINY))
    _load_projector(head.projector, 'cls.')
    _load_projector(pixel_head.projector, 'pixel.')
    x = ref('head_x')
    torch.testing.assert_close(head(x), ref('cls_y'), **TOL)
    torch.testing.assert_close(pixel_head(x), ref('pixel_y'), **TOL)


def test_disjoint_mask_sets_have_the_official_sizes(recipe):
    step = next(s for s in recipe.train_pipeline if s['type'] == 'DisjointMaskGenerator')
    generator = TRANSFORMS.build(step)
    for slot, predict in (('global', True), ('local', False)):
        num, n_s, n_p, n_t = REF[f'mask_{slot}'].tolist()
        sets = generator.split(num, predict=predict)
        assert [len(sets[k]) for k in ('student', 'predict', 'teacher')] == [n_s, n_p, n_t]
        joined = np.concatenate([sets['student'], sets['predict'], sets['teacher']])
        assert len(np.unique(joined)) == len(joined)


def test_pixel_targets_use_the_official_patch_layout():
    torch.testing.assert_close(patchify(ref('patchify_x'), PATCH), ref('patchify_y'))


def test_drop_path_block_matches_the_official_training_forward(recipe):
    backbone = recipe.model.backbone
    block = Block(8, 2, 4.0, True, backbone.get('layer_scale_init_value', 1e-5),
                  drop_path=backbone.drop_path_rate,
                  drop_path_mode=backbone.get('drop_path_mode', 'subset'))
    block.load_state_dict({k[len('block.'):]: ref(k) for k in REF.files
                           if k.startswith('block.')}, strict=True)
    block.train()
    torch.manual_seed(3)  # the official draw order: randperm, attention, randperm, MLP
    torch.testing.assert_close(block(ref('block_x')), ref('block_y'), **TOL)


def test_position_embedding_of_local_crops_matches(recipe):
    backbone = recipe.model.backbone
    vit = EOVisionTransformer(arch=dict(embed_dims=8, num_layers=1, num_heads=2),
                              in_channels=3, img_size=56, patch_size=PATCH,
                              interpolate_mode=backbone.get('interpolate_mode', 'bicubic'),
                              interpolate_offset=backbone.get('interpolate_offset', 0.1))
    with torch.no_grad():
        vit.pos_embed.copy_(ref('pos_embed'))
    torch.testing.assert_close(vit.patch_pos_embed((6, 6)), ref('pos_local')[:, 1:], **TOL)
