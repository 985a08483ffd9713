"""Known-answer checks of the frozen-probe protocol (probes, CI, fractions, aggregation)."""
import numpy as np
import pytest
import torch

from eossl.evaluation.aggregate import iqm, mean_sd, normalised_iqm
from eossl.evaluation.band_adapt import drop_stem_bands, plan_bands
from eossl.evaluation.floors import RandomConvFeatures, imagestats
from eossl.evaluation.fractions import nested_fractions
from eossl.evaluation.probes import bootstrap_ci, run_probe
from eossl.evaluation.seg_probe import run_seg_probe


def _blobs(n: int, classes: int, dim: int, seed: int, spread: float = 0.1):
    rng = np.random.default_rng(seed)
    centres = np.eye(classes, dim) * 10
    y = rng.integers(0, classes, n)
    return centres[y] + rng.normal(0, spread, (n, dim)), y


@pytest.mark.parametrize('kind', ['knn', 'linear'])
def test_separable_single_label_is_perfect(kind):
    train, val, test = (_blobs(60, 4, 8, s) for s in range(3))
    out = run_probe(kind, train, val, test, 4, multi_label=False, draws=50)
    assert out['metric'] == 'accuracy' and out['value'] == 100.0
    assert out['ci_low'] == out['ci_high'] == 100.0


@pytest.mark.parametrize('kind', ['knn', 'linear'])
def test_separable_multi_label_map_is_perfect(kind):
    rng = np.random.default_rng(0)

    patterns = np.array([[1, 0, 1, 0, 0], [0, 1, 0, 0, 1], [1, 1, 0, 1, 0]])

    def split(n):  # three label sets, each a tight cluster: the 5 neighbours share the set
        y = patterns[rng.integers(0, 3, n)]
        return y * 10.0 + rng.normal(0, 0.1, (n, 5)), y

    out = run_probe(kind, split(60), split(30), split(40), 5, multi_label=True, draws=50)
    assert out['metric'] == 'mAP_micro' and out['value'] == pytest.approx(100.0)


@pytest.mark.parametrize('kind', ['knn', 'linear'])
def test_shuffled_labels_give_chance(kind):
    rng = np.random.default_rng(1)
    splits = [(rng.normal(size=(400, 8)), rng.integers(0, 4, 400)) for _ in range(3)]
    out = run_probe(kind, *splits, 4, multi_label=False, draws=100)
    assert 15 < out['value'] < 35  # chance = 25 %
    assert out['ci_low'] < 25 < out['ci_high'] or abs(out['value'] - 25) < 6


def test_bootstrap_ci_covers_the_true_mean():
    rng = np.random.default_rng(0)
    covered = 0
    for _ in range(40):
        correct = rng.random(300) < 0.7  # true accuracy 0.7
        low, high = bootstrap_ci(lambda i, c=correct: c[i].mean(), 300, draws=300,
                                 seed=int(rng.integers(1 << 30)))
        covered += low <= 0.7 <= high
        assert high - low < 0.15
    assert covered >= 34  # nominal 95 % of 40 = 38


def test_fractions_are_stratified_and_nested():
    rng = np.random.default_rng(0)
    labels = [[int(c)] for c in rng.choice(5, 1000, p=[0.5, 0.2, 0.15, 0.1, 0.05])]
    subsets = nested_fractions(labels, [0.01, 0.1, 0.5, 1.0], seed=3)
    counts = np.bincount([c for (c, ) in labels], minlength=5)
    for fraction, index in subsets.items():
        got = np.bincount([labels[i][0] for i in index], minlength=5)
        assert np.all(np.abs(got - fraction * counts) <= 1)  # per-class share kept
    order = sorted(subsets)
    for small, large in zip(order, order[1:]):
        assert set(subsets[small]) <= set(subsets[large])
    assert len(subsets[1.0]) == 1000
    assert nested_fractions(labels, [0.1], seed=3)[0.1] == subsets[0.1]


def test_aggregation_known_values():
    assert mean_sd([1, 2, 3]) == (2.0, 1.0)
    assert iqm([0, 1, 2, 3, 4, 5, 6, 100]) == pytest.approx(3.5)  # drops 0, 1 / 6, 100
    value = normalised_iqm({'a': [10, 20], 'b': [5]}, {'a': (10, 20), 'b': (0, 10)})
    assert value == pytest.approx(0.5)
    with pytest.raises(KeyError, match="'c'"):
        normalised_iqm({'c': [1]}, {'a': (0, 1)})


def test_floors_shapes_and_seed():
    x = torch.randn(3, 4, 16, 16)
    assert imagestats(x).shape == (3, 28)
    assert imagestats(x, (4, 4)).shape == (3, 28, 4, 4)
    assert torch.allclose(imagestats(x)[:, :4], x.mean(dim=(2, 3)), atol=1e-5)
    a, b = RandomConvFeatures(4, 16, seed=0), RandomConvFeatures(4, 16, seed=0)
    assert torch.equal(a(x), b(x)) and a(x).shape == (3, 16)
    assert not torch.equal(a(x), RandomConvFeatures(4, 16, seed=1)(x))


def test_band_plan_fill_drop_and_no_overlap():
    plan = plan_bands(['B04', 'B03', 'VV'], ['B2', 'B3', 'B4'])
    assert plan.source == (None, 1, 0) and plan.missing == ('B2', ) and plan.dropped == ('VV', )
    images = torch.arange(3.0)[None, :, None, None].expand(1, 3, 2, 2)
    out = plan.apply(images)
    assert out[0, :, 0, 0].tolist() == [0.0, 1.0, 0.0]  # B2 filled with 0, B3 <- 1, B4 <- 0
    drop = plan_bands(['B04', 'B03'], ['B2', 'B3', 'B4'], missing='drop')
    assert drop.encoder_bands == ('B3', 'B4') and drop.source == (1, 0)
    with pytest.raises(ValueError, match=r"\['VV', 'VH'\].*\['B2', 'B3'\]"):
        plan_bands(['VV', 'VH'], ['B2', 'B3'])


def test_drop_stem_bands_slices_the_first_layer():
    from mmengine.registry import MODELS

    import eossl
    eossl.register_all_modules(init_default_scope=False)
    vit = MODELS.build(dict(type='eossl.EOVisionTransformer', bands=('B2', 'B3', 'B4'),
                            arch=dict(embed_dims=16, num_layers=1, num_heads=2,
                                      feedforward_channels=16), img_size=8, patch_size=4))
    weight = vit.patch_embed.proj.weight.detach().clone()
    drop_stem_bands(vit, ('B2', 'B3', 'B4'), ('B4', 'B2'))
    assert torch.equal(vit.patch_embed.proj.weight, weight[:, [2, 0]])
    assert vit(torch.randn(1, 2, 8, 8))[-1].shape[-1] == 16


@pytest.mark.parametrize('kind', ['knn', 'linear'])
def test_segmentation_cell_probe_separable(kind):
    rng = np.random.default_rng(0)

    def split(n):
        cells = rng.integers(0, 3, (n, 4, 4))
        feats = np.eye(3)[cells].transpose(0, 3, 1, 2) * 5 + rng.normal(0, 0.1, (n, 3, 4, 4))
        masks = np.kron(cells, np.ones((4, 4), dtype=int))
        masks[:, 0, 0] = 255
        return feats, masks

    out = run_seg_probe(kind, split(6), split(3), split(4), 3, draws=20)
    assert out['metric'] == 'mIoU' and out['value'] > 90


def test_iqm_bootstrap_over_seeds():
    from eossl.evaluation.aggregate import iqm_bootstrap_ci
    norm = {'a': (0, 10), 'b': (0, 10)}
    low, high = iqm_bootstrap_ci({'a': [5, 5, 5], 'b': [5, 5]}, norm, draws=50)
    assert low == high == 0.5  # no seed spread, no interval
    low, high = iqm_bootstrap_ci({'a': [2, 8, 5], 'b': [4, 6]}, norm, draws=200)
    assert 0.2 <= low < 0.5 < high <= 0.8
