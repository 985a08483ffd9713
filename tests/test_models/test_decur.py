"""DeCUR: builds from dicts, trains every part, loss properties, two ranks equal one process."""
import pytest
import torch
from mmengine.config import Config
from mmengine.optim import OptimWrapper

import eossl  # noqa: F401  (registers the components)
from eossl.models.selfsup.cpu_sizes import apply_cpu_size
from eossl.registry import MODELS
from tests.gloo import run_on_ranks

RECIPES = ('configs/decur/decur_rn50_s1s2_100e_ssl4eo.py',
           'configs/decur/decur_rn18_s1s2_demo_bigearthnet.py')


def _model(shared_neck: bool = True, dim_common: int = 12) -> torch.nn.Module:
    def branch(bands):
        return dict(type='EOResNet', depth=18, bands=bands, base_channels=8, stem_channels=8)

    return MODELS.build(dict(
        type='DeCUR', s1_backbone=branch(('VV', 'VH')), s2_backbone=branch(('B2', 'B3', 'B4')),
        neck=dict(type='mmpretrain.NonLinearNeck', hid_channels=16, out_channels=16,
                  num_layers=3, with_bias=False, with_last_bn=False, norm_cfg=dict(type='BN1d')),
        shared_neck=shared_neck,
        head=dict(type='DeCURHead', loss=dict(type='DeCURLoss', dim_common=dim_common))))


def _views(b: int = 4, size: int = 32) -> dict[str, list[torch.Tensor]]:
    gen = torch.Generator().manual_seed(0)
    return {'s1': [torch.rand(b, 2, size, size, generator=gen) for _ in range(2)],
            's2': [torch.rand(b, 3, size, size, generator=gen) for _ in range(2)]}


def test_loss_terms_are_finite_and_train_every_part():
    model = _model()
    losses = model(_views(), mode='loss')
    assert set(losses) == {'loss_intra_s1', 'loss_intra_s2', 'loss_cross', 'cross_common',
                           'cross_unique'}
    total = sum(v for k, v in losses.items() if 'loss' in k)
    assert total.dim() == 0 and torch.isfinite(total)
    total.backward()
    for name in ('s1_backbone', 's2_backbone', 's1_neck'):
        grads = [p.grad for p in getattr(model, name).parameters()]
        assert all(g is not None for g in grads) and sum(g.abs().sum() for g in grads) > 0, name


def test_shared_neck_is_one_module_and_separate_necks_are_two():
    shared, separate = _model(shared_neck=True), _model(shared_neck=False)
    assert shared.s1_neck is shared.s2_neck
    assert separate.s1_neck is not separate.s2_neck
    assert sum(p.numel() for p in separate.parameters()) > sum(
        p.numel() for p in shared.parameters())


def test_extract_feat_and_probe_features():
    model = _model().eval()
    with torch.no_grad():
        feats = model(_views(b=3), mode='tensor')
        probes = model.probe_features({'s1': _views(b=3)['s1'][0], 's2': _views(b=3)['s2'][0]})
    assert {k: tuple(v.shape) for k, v in feats.items()} == {'s1': (3, 64), 's2': (3, 64)}
    assert probes['s1s2'][0].shape == (3, 128) and probes['s2'][1].dim() == 4


def test_train_step_through_the_data_preprocessor():
    model = _model()
    model.data_preprocessor = MODELS.build(dict(
        type='eossl.EODataPreprocessor', mean=dict(s1=[0.0] * 2, s2=[0.0] * 3),
        std=dict(s1=[1.0] * 2, s2=[1.0] * 3)))
    per_sample = {m: [list(v) for v in views] for m, views in _views(b=3).items()}
    log_vars = model.train_step({'inputs': per_sample, 'data_samples': None},
                                OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.01)))
    assert torch.isfinite(log_vars['loss']) and 'cross_common' in log_vars


def test_bad_inputs_and_sizes_are_named():
    model = _model()
    with pytest.raises(ValueError, match="keys \\('s1', 's2'\\)"):
        model.loss({'s2': _views()['s2']})
    with pytest.raises(ValueError, match='at least 2'):
        model.loss({'s1': _views()['s1'][:1], 's2': _views()['s2']})
    with pytest.raises(ValueError, match='dim_common=16 leaves no unique'):
        _model(dim_common=16).loss(_views())
    with pytest.raises(ValueError, match='model.neck.in_channels=7 does not match'):
        MODELS.build(dict(type='DeCUR', s1_backbone=dict(type='EOResNet', depth=18, in_channels=2),
                          s2_backbone=dict(type='EOResNet', depth=18, in_channels=3),
                          neck=dict(type='mmpretrain.NonLinearNeck', in_channels=7,
                                    hid_channels=8, out_channels=8),
                          head=dict(type='DeCURHead', loss=dict(type='DeCURLoss', dim_common=4))))


def test_unique_dimensions_are_decorrelated_and_common_ones_aligned():
    """Identical modalities: common block = Barlow's (1 on the diagonal costs nothing), unique
    block pays its diagonal; decorrelated modalities: the reverse."""
    loss = MODELS.build(dict(type='DeCURLoss', dim_common=3, lambd=0.0))
    gen = torch.Generator().manual_seed(1)
    z = torch.randn(256, 6, generator=gen)
    same = loss(z, z, z, z)
    assert same['cross_common'] < 1e-6 and same['cross_unique'] == pytest.approx(3.0, rel=1e-4)
    other = loss(z, z, torch.randn(256, 6, generator=gen), z)
    assert other['cross_unique'] < 0.1 and other['cross_common'] > 2.5


def _rank_worker(rank: int, world: int, z: list[torch.Tensor], expected: dict) -> None:
    loss_fn = MODELS.build(dict(type='DeCURLoss', dim_common=5))
    local = [t[rank::world].clone().requires_grad_() for t in z]
    terms = loss_fn(*local)
    total = terms['intra_a'] + terms['intra_b'] + terms['cross']
    total.backward()
    torch.testing.assert_close(total.detach(), expected['total'])
    for t, grad in zip(local, expected['grads']):
        # DDP averages the ranks' gradients: each rank holds world x its share of the total's
        torch.testing.assert_close(t.grad / world, grad[rank::world], rtol=1e-5, atol=1e-6)


def test_two_ranks_give_the_single_process_loss_and_gradient():
    gen = torch.Generator().manual_seed(2)
    z = [torch.randn(8, 8, generator=gen).requires_grad_() for _ in range(4)]
    loss_fn = MODELS.build(dict(type='DeCURLoss', dim_common=5))
    terms = loss_fn(*z)
    total = terms['intra_a'] + terms['intra_b'] + terms['cross']
    total.backward()
    expected = dict(total=total.detach(), grads=[t.grad for t in z])
    run_on_ranks(_rank_worker, 2, [t.detach() for t in z], expected)


@pytest.mark.parametrize('recipe', RECIPES)
@pytest.mark.parametrize('size', ('tiny', 'probe', 'bench'))
def test_cpu_sizes_of_every_recipe_build(recipe, size):
    cfg = Config.fromfile(recipe)
    notes = apply_cpu_size(cfg, size)
    model = MODELS.build(cfg.model)
    assert model.s1_neck.fc0.in_features == model.s1_backbone.feat_dim
    assert cfg.model.head.loss.dim_common < cfg.model.neck.out_channels
    assert all(b.get('init_cfg') is None for b in (cfg.model.s1_backbone, cfg.model.s2_backbone))
    assert isinstance(notes, list)


def test_monitor_taps_see_the_first_view_of_each_backbone():
    model = _model()
    taps = model.monitor_taps()
    seen = {}
    handles = [module.register_forward_hook(
        lambda mod, args, out, name=name: seen.setdefault(name, out))
        for name, (module, _) in taps.items()]
    model.loss(_views())
    for handle in handles:
        handle.remove()
    values = model.monitor_values(seen)
    assert set(values) == {'repr_std', 'repr_rank', 'repr_std_s1', 'repr_rank_s1'}
    assert all(torch.isfinite(v) for v in values.values())
    assert model.monitor_values({'s2': seen['s2']}) == {}
