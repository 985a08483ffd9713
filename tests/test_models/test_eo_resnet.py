"""EOResNet: the stem width follows the named bands; inconsistent configs fail early."""
import pytest
import torch

import eossl  # noqa: F401
from eossl.registry import MODELS


def test_bands_set_the_stem_width():
    model = MODELS.build(dict(type='EOResNet', depth=18, bands=('VV', 'VH'), out_indices=(0, 3)))
    assert model.bands == ('VV', 'VH')
    assert model.conv1.in_channels == 2
    feats = model(torch.rand(1, 2, 64, 64))
    assert [f.shape for f in feats] == [(1, 64, 16, 16), (1, 512, 2, 2)]


def test_in_channels_alone_and_consistent_with_bands():
    assert MODELS.build(dict(type='EOResNet', depth=18, in_channels=13)).conv1.in_channels == 13
    both = MODELS.build(dict(type='EOResNet', depth=18, in_channels=2, bands=['VV', 'VH']))
    assert both.bands == ('VV', 'VH')


@pytest.mark.parametrize('kwargs, message', [
    (dict(), 'give `bands`'),
    (dict(in_channels=3, bands=('VV', 'VH')), 'in_channels=3 but 2 bands'),
    (dict(bands='VV'), "unknown sensor 'VV'"),  # a string is a band-set name
    (dict(bands=('VV', 'VV')), 'duplicates'),
])
def test_bad_band_configs_raise(kwargs, message):
    with pytest.raises((ValueError, KeyError), match=message):  # BandLookupError is a KeyError
        MODELS.build(dict(type='EOResNet', depth=18, **kwargs))


def test_train_and_eval_return_the_module():
    model = MODELS.build(dict(type='EOResNet', depth=18, bands=('VV', 'VH'), norm_eval=True))
    assert model.eval() is model and not model.training
    assert model.train() is model and model.training
    # norm_eval keeps BN in eval mode even in training mode (mmpretrain's behaviour kept)
    assert not any(m.training for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d))
