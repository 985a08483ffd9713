"""Every algorithm refuses, at its first step, a packed data field it would not read."""
import pytest
import torch
from mmpretrain.structures import DataSample

from .test_dual_simclr import _resnet18_model
from .test_mpmae import HEADS, _model
from .test_pera import tiny_pera
from .test_softcon import _tiny_softcon


def _samples(**fields) -> list[DataSample]:
    sample = DataSample()
    for name, value in fields.items():
        sample.set_field(value, name)
    return [sample, sample]


@pytest.mark.parametrize('build,reads', [
    (lambda: _tiny_softcon(), set()),
    (lambda: _resnet18_model(), set()),
    (lambda: tiny_pera(), {'disjoint_masks'}),
    (lambda: _model(HEADS), set(HEADS)),
])
def test_an_unread_field_is_refused_at_the_first_step_naming_it(build, reads):
    model = build()
    assert model.consumed_fields() == reads
    with pytest.raises(ValueError, match=r"\['disjoint_masks_extra'\]"):
        # refused before any input is looked at, whatever the inputs are
        model(inputs=torch.zeros(1), data_samples=_samples(disjoint_masks_extra=1), mode='loss')
    model.check_fields(_samples(**dict.fromkeys(reads, 1), gt_label=[0]))  # read + implicit


def test_softcon_given_perA_masks_refuses_instead_of_training_plain_softcon():
    model = _tiny_softcon()
    views = [torch.randn(2, 3, 28, 28), torch.randn(2, 3, 28, 28)]
    with pytest.raises(ValueError, match=r"SoftCon: .*\['disjoint_masks'\].*does not use"):
        model(views, _samples(disjoint_masks=dict(student=[[0]]), gt_label=[1]), mode='loss')
