"""DualSimCLR: builds from dicts, gives a finite loss that trains both branches, pooled features."""
import pytest
import torch
from mmengine.optim import OptimWrapper

import eossl  # noqa: F401  (registers the components)
from eossl.registry import MODELS


def _resnet18_model(data_preprocessor: dict | None = None) -> torch.nn.Module:
    """Dual ResNet-18 with a small projection, as the demo recipe but tiny."""
    def branch(bands):
        return dict(type='EOResNet', depth=18, bands=bands)

    def neck():
        return dict(type='ProjectionMLP', in_channels=512, hid_channels=32, out_channels=16)

    return MODELS.build(dict(
        type='DualSimCLR', data_preprocessor=data_preprocessor, s1_backbone=branch(('VV', 'VH')),
        s2_backbone=branch(('B2', 'B3', 'B4', 'B8')), s1_neck=neck(), s2_neck=neck(),
        head=dict(type='CrossModalContrastiveHead',
                  loss=dict(type='CrossModalNTXentLoss', temperature=0.07))))


def _batch(b: int = 4, size: int = 32, s2_bands: int = 4) -> dict[str, torch.Tensor]:
    gen = torch.Generator().manual_seed(0)
    return {'s1': torch.rand(b, 2, size, size, generator=gen),
            's2': torch.rand(b, s2_bands, size, size, generator=gen)}


def test_loss_is_finite_and_trains_both_branches():
    model = _resnet18_model()
    model.init_weights()
    losses = model(_batch(), mode='loss')
    assert set(losses) == {'loss'}
    loss = losses['loss']
    assert loss.dim() == 0 and torch.isfinite(loss)
    loss.backward()
    for name in ('s1_backbone', 's2_backbone', 's1_neck', 's2_neck'):
        params = list(getattr(model, name).parameters())
        assert all(p.grad is not None for p in params), f'{name} has parameters without grad'
        assert sum(p.grad.abs().sum() for p in params) > 0, f'{name} got zero gradient'


def test_train_step_on_packed_samples_through_the_eo_data_preprocessor():
    """Per-sample tensors, as PackEOInputs + pseudo_collate deliver them, train one step."""
    model = _resnet18_model(dict(type='eossl.EODataPreprocessor',  # built by mmengine's MODELS
                                 mean=dict(s1=[-12.0, -19.0], s2=[1000.0] * 4),
                                 std=dict(s1=[5.0, 5.0], s2=[1000.0] * 4)))
    batch = _batch(b=3)
    packed = {'inputs': {k: list(v) for k, v in batch.items()}, 'data_samples': None}
    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.01))
    log_vars = model.train_step(packed, optim)
    assert set(log_vars) == {'loss'} and torch.isfinite(log_vars['loss'])


def test_extract_feat_gives_pooled_features_of_both_modalities():
    model = _resnet18_model().eval()
    with torch.no_grad():
        feats = model(_batch(b=3), mode='tensor')
    assert set(feats) == {'s1', 's2'}
    assert feats['s1'].shape == (3, 512) and feats['s2'].shape == (3, 512)


def test_rejects_inputs_that_are_not_an_s1_s2_pair():
    model = _resnet18_model()
    with pytest.raises(ValueError, match="keys \\('s1', 's2'\\)"):
        model.loss({'s2': torch.rand(2, 4, 32, 32)})
    with pytest.raises(ValueError, match='same B'):
        model.loss({'s1': torch.rand(2, 2, 32, 32), 's2': torch.rand(3, 4, 32, 32)})


def test_swin_tiny_variant_without_projection():
    """Swin-T (patch 4, depths 2-2-6-2, embed 96) at 64 px with window 2; pooled 768-d."""
    def branch(channels):
        return dict(type='mmpretrain.SwinTransformer', arch='tiny', img_size=64, patch_size=4,
                    window_size=2, in_channels=channels, drop_path_rate=0.1)

    pool = dict(type='mmpretrain.GlobalAveragePooling')
    model = MODELS.build(dict(
        type='DualSimCLR', s1_backbone=branch(2), s2_backbone=branch(13), s1_neck=pool,
        s2_neck=pool, head=dict(type='CrossModalContrastiveHead',
                                loss=dict(type='CrossModalNTXentLoss', temperature=0.2))))
    batch = _batch(b=2, size=64, s2_bands=13)
    loss = model(batch, mode='loss')['loss']
    assert torch.isfinite(loss)
    loss.backward()
    assert model.s1_backbone.patch_embed.projection.weight.grad.abs().sum() > 0
    assert model.s2_backbone.patch_embed.projection.weight.grad.abs().sum() > 0
    model.eval()
    with torch.no_grad():
        feats = model(batch, mode='tensor')
    assert feats['s1'].shape == (2, 768) and feats['s2'].shape == (2, 768)
