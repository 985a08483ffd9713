"""EODataPreprocessor: per-band normalization of any band count, views, modality dicts, NaN."""
import numpy as np
import pytest
import torch
from mmengine.dataset import default_collate, pseudo_collate

from eossl.datasets.bands import resolve_stats
from eossl.datasets.transforms import PackEOInputs
from eossl.models.data_preprocessors import EODataPreprocessor
from eossl.registry import MODELS

MEAN = [10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0]
STD = [1.0, 2.0, 4.0, 5.0, 8.0, 10.0, 20.0]


def by_hand(x: torch.Tensor, mean, std) -> torch.Tensor:
    return (x - torch.tensor(mean).view(-1, 1, 1)) / torch.tensor(std).view(-1, 1, 1)


def test_normalizes_any_band_count_per_band():
    batch = torch.rand(2, 7, 3, 3) * 100
    out = MODELS.build(dict(type='EODataPreprocessor', mean=MEAN, std=STD))(
        {'inputs': batch, 'data_samples': None})
    torch.testing.assert_close(out['inputs'], by_hand(batch, MEAN, STD))
    assert out['data_samples'] is None


def test_no_rgb_flip_and_integers_become_float():
    batch = torch.arange(3 * 4, dtype=torch.int32).view(1, 3, 2, 2)
    out = EODataPreprocessor(mean=[0, 0, 0], std=[1, 1, 1])({'inputs': batch})['inputs']
    assert out.dtype == torch.float32
    torch.testing.assert_close(out, batch.float())  # channel order untouched


def test_nan_becomes_zero_after_normalization():
    batch = torch.full((1, 7, 2, 2), 5.0)
    batch[0, 3, 1, 1] = float('nan')
    batch[0, 6] = float('nan')  # a dropped band
    out = EODataPreprocessor(mean=MEAN, std=STD)({'inputs': batch})['inputs']
    assert out[0, 3, 1, 1] == 0 and (out[0, 6] == 0).all()
    assert out[0, 3, 0, 0] == pytest.approx((5 - 40) / 5)  # zero-filling before would give this
    assert not torch.isnan(out).any()


def test_pseudo_collated_samples_and_views():
    samples = [PackEOInputs()({'img': np.random.rand(7, 4, 4).astype(np.float32)})
               for _ in range(3)]
    preprocessor = EODataPreprocessor(mean=MEAN, std=STD)
    out = preprocessor(pseudo_collate(samples))['inputs']
    expected = torch.stack([s['inputs'] for s in samples])
    torch.testing.assert_close(out, by_hand(expected, MEAN, STD))

    view_samples = [PackEOInputs()({'img': [np.random.rand(7, 4, 4).astype(np.float32),
                                            np.random.rand(7, 2, 2).astype(np.float32)]})
                    for _ in range(3)]
    for collate in (pseudo_collate, default_collate):
        views = preprocessor(collate(view_samples))['inputs']
        assert [tuple(v.shape) for v in views] == [(3, 7, 4, 4), (3, 7, 2, 2)]
        second = torch.stack([s['inputs'][1] for s in view_samples])
        torch.testing.assert_close(views[1], by_hand(second, MEAN, STD))


def test_modality_dict_with_named_statistics():
    preprocessor = EODataPreprocessor(
        stats={'s1': 'bigearthnet:s1_grd', 's2': 'bigearthnet:s2_l2a'},
        bands={'s2': ['B4', 'B3', 'B2']})
    s1 = torch.randn(2, 2, 3, 3) * 5 - 15
    s2 = [torch.rand(3, 3, 3) * 1000 for _ in range(2)]
    out = preprocessor({'inputs': {'s1': s1, 's2': [s2, s2]}})['inputs']
    torch.testing.assert_close(out['s1'], by_hand(s1, *resolve_stats('bigearthnet:s1_grd')))
    rgb = resolve_stats('bigearthnet:s2_l2a', ['B4', 'B3', 'B2'])
    assert len(out['s2']) == 2
    torch.testing.assert_close(out['s2'][0], by_hand(torch.stack(s2), *rgb))

    explicit = EODataPreprocessor(mean={'s1': [0, 0], 'opt': [1.0]}, std={'s1': [1, 1], 'opt': [2]})
    out = explicit({'inputs': {'s1': s1, 'opt': torch.ones(2, 1, 2, 2)}})['inputs']
    torch.testing.assert_close(out['s1'], s1)
    assert (out['opt'] == 0).all()


def test_single_stats_name_and_channels_last():
    preprocessor = EODataPreprocessor(stats='eurosat:s2_l1c', channels_last=True)
    out = preprocessor({'inputs': torch.rand(2, 13, 4, 4)})['inputs']
    assert out.is_contiguous(memory_format=torch.channels_last)


@pytest.mark.parametrize('kwargs,inputs,message', [
    (dict(mean=MEAN, std=STD), torch.zeros(1, 12, 2, 2), 'inputs has 12 channels.* 7 values'),
    (dict(mean={'s2': MEAN}, std={'s2': STD}), {'s2': torch.zeros(1, 3, 2, 2)},
     "modality 's2' has 3 channels but mean/std have 7"),
    (dict(mean={'s2': MEAN}, std={'s2': STD}), {'s1': torch.zeros(1, 2, 2, 2)},
     "no mean/std for modality 's1'"),
    (dict(mean=MEAN, std=STD), [torch.zeros(7, 2, 2), torch.zeros(7, 3, 3)], 'cannot stack'),
])
def test_mismatches_are_reported(kwargs, inputs, message):
    with pytest.raises(ValueError, match=message):
        EODataPreprocessor(**kwargs)({'inputs': inputs})


@pytest.mark.parametrize('kwargs,message', [
    (dict(mean=MEAN), 'together'),
    (dict(mean=MEAN, std=STD[:3]), '7 means and 3 stds'),
    (dict(mean=[0.0], std=[0.0]), 'std must be > 0'),
    (dict(mean=MEAN, std=STD, stats='eurosat:s2_l1c'), 'not both'),
    (dict(stats='bigearthnet:s2_l2a', bands={'s2': ['B2']}), 'bands must be a list'),
])
def test_bad_configuration(kwargs, message):
    with pytest.raises(ValueError, match=message):
        EODataPreprocessor(**kwargs)


def test_unknown_statistics_name_lists_the_sources():
    with pytest.raises(KeyError, match="'bigearthnet'"):
        EODataPreprocessor(stats='bigearth:s2_l2a')
