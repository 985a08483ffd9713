"""MPMAE: masking, decoder, heads, loss dict and one training step per recipe."""
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.optim import build_optim_wrapper
from mmpretrain.structures import DataSample

import eossl
from eossl.datasets.shards import pack_dataset
from eossl.datasets.shards.compact_codec import loading_steps
from eossl.models.heads import PixelRegressionHead
from eossl.models.necks import FCMAEDecoder
from eossl.models.utils import patchify, unpatchify
from eossl.registry import DATASETS, MODELS
from eossl.testing import make_fake_mmearth

REPO = Path(__file__).resolve().parents[2]
RECIPES = sorted((REPO / 'configs' / 'mpmae').glob('*.py'))
SMALL = dict(depths=[1, 1, 1, 1], channels=[8, 8, 16, 16])


@pytest.fixture(autouse=True, scope='module')
def _scope():
    eossl.register_all_modules()


def _model(heads: dict, loss_weighting: dict | None = None, patch: int = 8):
    model = MODELS.build(dict(
        type='MPMAE', data_preprocessor=dict(type='EODataPreprocessor'),
        backbone=dict(type='ConvNeXtV2FCMAE', arch=SMALL, in_channels=3, patch_size=patch,
                      out_norm=False),
        neck=dict(type='FCMAEDecoder', in_channels=16, embed_dim=16),
        heads=heads, loss_weighting=loss_weighting))
    model.init_weights()
    return model


def _samples(n: int, size: int = 16) -> list[DataSample]:
    samples = []
    for _ in range(n):
        sample = DataSample()
        sample.set_field(np.random.randn(3, size, size).astype(np.float32), 's2')
        sample.set_field(np.random.randint(-1, 4, (1, size, size)), 'lc')
        sample.set_field(np.array(np.random.randint(0, 5)), 'biome')
        samples.append(sample)
    return samples


HEADS = dict(s2=dict(type='PixelRegressionHead', in_channels=16, out_channels=3, patch_size=8),
             lc=dict(type='PixelClassificationHead', in_channels=16, num_classes=4,
                     patch_size=8),
             biome=dict(type='ImageLevelHead', in_channels=16, out_channels=5,
                        loss=dict(type='MaskedCrossEntropyLoss')))


def test_mask_has_exact_count_per_sample():
    model = _model(HEADS)
    torch.manual_seed(0)
    mask = model.generate_mask(16, (7, 7), torch.device('cpu'))
    assert mask.dtype == torch.bool and mask.shape == (16, 7, 7)
    assert mask.flatten(1).sum(1).tolist() == [30] * 16  # 49 - int(49 * 0.4), as MMEarth
    assert len({tuple(m.flatten().tolist()) for m in mask}) == 16


@pytest.mark.parametrize('weighting', [None, dict(type='UncertaintyWeighting')])
def test_loss_dict_sums_to_total_only(weighting):
    model = _model(HEADS, weighting)
    data = model.data_preprocessor(dict(inputs=[torch.randn(3, 16, 16) for _ in range(2)],
                                        data_samples=_samples(2)), True)
    losses = model(**data, mode='loss')
    assert [k for k in losses if 'loss' in k] == ['loss']
    errs = [losses[f'{name}_err'] for name in HEADS]
    torch.testing.assert_close(losses['loss'], sum(errs))  # s_k = 0: both rules give Σ L_k
    total, log_vars = model.parse_losses(losses)
    torch.testing.assert_close(total, losses['loss'])
    assert ('s2_logvar' in log_vars) == (weighting is not None)


def test_missing_target_is_a_clear_error():
    model = _model(HEADS)
    samples = _samples(2)
    del samples[1].biome
    with pytest.raises(KeyError, match='pretext target "biome"'):
        model.loss(torch.randn(2, 3, 16, 16), samples)


def test_decoder_puts_the_mask_token_at_masked_cells():
    neck = FCMAEDecoder(in_channels=4, embed_dim=6, depth=0)
    neck.init_weights()
    mask = torch.tensor([[[True, False], [False, True]]])
    out = neck(torch.randn(1, 4, 2, 2), mask)
    assert torch.equal(out[0, :, 0, 0], neck.mask_token[0, :, 0, 0])
    assert torch.equal(out[0, :, 1, 1], neck.mask_token[0, :, 0, 0])
    assert not torch.equal(out[0, :, 0, 1], neck.mask_token[0, :, 0, 0])


def test_patchify_layout_and_roundtrip():
    images = torch.arange(2 * 3 * 4 * 6, dtype=torch.float32).reshape(2, 3, 4, 6)
    patches = patchify(images, 2)
    assert patches.shape == (2, 6, 12)
    # patch (row 1, col 2) = index 5; its pixel (0, 1) channel c at (0 * 2 + 1) * 3 + c
    assert patches[1, 5, 3:6].tolist() == images[1, :, 2, 5].tolist()
    assert torch.equal(unpatchify(patches, 2, (2, 3)), images)


def test_pixel_head_loss_ignores_visible_cells():
    torch.manual_seed(0)
    head = PixelRegressionHead(8, out_channels=2, patch_size=4)
    decoded, target = torch.randn(1, 8, 2, 2), torch.randn(1, 2, 8, 8)
    mask = torch.tensor([[[True, False], [False, True]]])
    loss = head.loss(decoded, target, mask)
    changed = decoded.clone()
    changed[0, :, 0, 1] += 5.
    target[0, :, :4, 4:] = torch.nan  # the target of a visible patch
    torch.testing.assert_close(head.loss(changed, target, mask), loss)


@pytest.fixture(scope='module')
def fake_roots(tmp_path_factory) -> dict[int, Path]:
    root = tmp_path_factory.mktemp('mmearth')
    return {size: make_fake_mmearth(root / str(size), num_samples=4, size=size)
            for size in (16, 32)}


@pytest.mark.parametrize('recipe', RECIPES, ids=[r.stem for r in RECIPES])
def test_one_training_step_per_recipe(recipe, fake_roots):
    cfg = Config.fromfile(recipe)
    patch = cfg.model.backbone.patch_size
    cfg.train_dataloader.dataset.data_root = str(fake_roots[2 * patch])
    cfg.train_dataloader.dataset.pipeline[1].size = 2 * patch  # a 2x2 mask grid
    if cfg.train_dataloader.dataset.type == 'ShardedDataset':  # a *-packed recipe: pack first
        pipeline = cfg.train_dataloader.dataset.pipeline
        packed = fake_roots[2 * patch].parent / f'packed-{recipe.stem}'
        pack_dataset(DATASETS.build(dict(type='MMEarth', data_root=str(fake_roots[2 * patch]))),
                     packed, layout='compact', loaders=loading_steps(pipeline))
        cfg.train_dataloader.dataset.data_root = str(packed)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    batch = pseudo_collate([dataset[0], dataset[1]])

    data = model.data_preprocessor(batch, True)
    for name in model.heads:  # every target stacked once per batch, shared by the samples
        target = data['data_samples'][0].get(name)
        assert isinstance(target, torch.Tensor) and target.shape[0] == 2, name
        assert data['data_samples'][1].get(name) is target, name
    losses = model(**data, mode='loss')
    total, _ = model.parse_losses(losses)
    total.backward()
    assert torch.isfinite(total)
    for name, param in model.named_parameters():
        assert param.grad is not None, f'{name} gets no gradient (DDP would fail)'
        assert torch.isfinite(param.grad).all(), name
    assert model.backbone.stem[0].weight.grad.abs().sum() > 0

    model.zero_grad()
    before = model.backbone.stem[0].weight.detach().clone()
    log_vars = model.train_step(batch, build_optim_wrapper(model, cfg.optim_wrapper))
    assert torch.isfinite(log_vars['loss'])
    assert not torch.equal(before, model.backbone.stem[0].weight)
