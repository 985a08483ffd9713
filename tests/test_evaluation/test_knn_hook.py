"""KNNEvaluationHook: a known-answer probe during training, logged to the message hub."""
from types import SimpleNamespace

import pytest
import torch
from mmengine.logging import MessageHub
from torch import nn

import eossl
from eossl.datasets.bands import stored_band_order
from eossl.engine.hooks.knn_evaluation_hook import KNNEvaluationHook
from eossl.testing.copernicus_bench import make_fake_copernicus_eurosat

S2 = stored_band_order('eurosat', 's2_l1c')  # the file order of EuroSAT


class BandMeans(nn.Module):
    """A 'backbone' whose feature is each band's mean: the fixture's classes separate on it."""

    def __init__(self) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.ones(1))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor]:
        return (x.mean(dim=(2, 3)) * self.scale, )


def _hook(root, **kwargs) -> KNNEvaluationHook:
    dataset = dict(type='eossl.CopernicusBenchEuroSAT', data_root=str(root), split='train',
                   modality='s2',
                   pipeline=[dict(type='eossl.LoadMultiBandImage', modality='s2'),
                             dict(type='eossl.PackEOInputs', keys='img')])
    return KNNEvaluationHook(dataset=dataset, num_classes=10, k=3,
                             data_preprocessor=dict(type='eossl.EOClsDataPreprocessor',
                                                    stats='ssl4eo_s12:s2_l1c', bands=S2),
                             **kwargs)


def test_probe_is_logged_and_separates_the_classes(tmp_path):
    eossl.register_all_modules(init_default_scope=True)
    root = make_fake_copernicus_eurosat(tmp_path / 'e', 's2', per_class=4, size=8)
    hook = _hook(root, interval=2)
    model = SimpleNamespace(backbone=BandMeans().train())
    hub = MessageHub.get_instance('knn_hook_test')
    runner = SimpleNamespace(model=model, message_hub=hub, epoch=0, max_epochs=3)
    hook.before_train(runner)
    hook.after_train_epoch(runner)  # epoch 1 of 3: not a multiple of 2
    assert hook.history == []
    runner.epoch = 1
    hook.after_train_epoch(runner)
    assert hook.history[-1]['epoch'] == 2 and hook.history[-1]['accuracy'] > 80  # chance: 10
    assert hub.get_scalar('knn/accuracy').current() == pytest.approx(
        hook.history[-1]['accuracy'])
    assert model.backbone.training  # training mode restored


def test_bad_interval_is_refused(tmp_path):
    with pytest.raises(ValueError, match='interval'):
        _hook(tmp_path, interval=0)
