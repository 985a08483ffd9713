"""NonFiniteLossHook stops training at the first NaN/inf loss term, naming the iteration, the
term and the batch's sample ids, before a checkpoint of the poisoned weights is written, and
without any device synchronisation of its own."""
import math

import pytest
import torch
from mmengine.model import BaseModel
from mmengine.runner import Runner
from mmpretrain.structures import DataSample
from torch import nn

from eossl.engine.hooks import NonFiniteLossError, NonFiniteLossHook


class _Poisoned(BaseModel):
    """Finite loss terms, except ``loss_pixel`` = NaN for batches holding sample ``'bad'``."""

    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(2, 1)

    def forward(self, inputs: list[torch.Tensor], data_samples=None, mode: str = 'loss') -> dict:
        loss = self.linear(torch.stack(inputs)).pow(2).mean()  # pseudo_collate: a list
        ids = [s.metainfo['sample_id'] for s in data_samples]
        pixel = loss * (math.nan if 'bad' in ids else 0.5)
        return {'loss_dino': loss, 'loss_pixel': pixel}


def _dataset(ids: list[str]) -> list[dict]:
    return [dict(inputs=torch.full((2,), float(i)),
                 data_samples=DataSample(metainfo=dict(sample_id=sample_id)))
            for i, sample_id in enumerate(ids)]


def _runner(tmp_path, ids: list[str], **kwargs) -> Runner:
    return Runner(
        model=_Poisoned(), work_dir=str(tmp_path), default_scope='eossl',
        experiment_name=f'nan-{tmp_path.name}-{len(ids)}',
        train_dataloader=dict(dataset=_dataset(ids), batch_size=2,
                              sampler=dict(type='DefaultSampler', shuffle=False),
                              collate_fn=dict(type='pseudo_collate')),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        train_cfg=dict(by_epoch=False, max_iters=len(ids) // 2),
        default_hooks=dict(checkpoint=dict(type='ResumableCheckpointHook', interval=1,
                                           by_epoch=False),
                           non_finite_loss=dict(type='NonFiniteLossHook')),
        log_level='WARNING', **kwargs)


def test_stops_at_the_poisoned_batch_and_names_it(tmp_path):
    runner = _runner(tmp_path, ['s0', 's1', 's2', 's3', 'bad', 's5', 's6', 's7'])
    with pytest.raises(NonFiniteLossError) as error:
        runner.train()
    message = str(error.value)
    assert 'iteration 3 ' in message and 'loss_pixel=nan' in message and 'loss=nan' in message
    assert 'loss_dino' not in message  # the finite term is not blamed
    assert '[bad, s5]' in message and 'rank 0' in message
    assert str(tmp_path / 'iter_2.pth') in message  # where to restart from
    # iterations 1 and 2 were checkpointed, the poisoned third was not
    assert sorted(p.name for p in tmp_path.glob('iter_*.pth')) == ['iter_1.pth', 'iter_2.pth']


def test_finite_training_runs_to_the_end_without_syncing(tmp_path, monkeypatch):
    item_calls = []
    real_item = torch.Tensor.item
    guard = NonFiniteLossHook.after_train_iter

    def counting_guard(self, *args, **kwargs):
        monkeypatch.setattr(torch.Tensor, 'item', lambda t: item_calls.append(t) or real_item(t))
        try:
            return guard(self, *args, **kwargs)
        finally:
            monkeypatch.setattr(torch.Tensor, 'item', real_item)

    monkeypatch.setattr(NonFiniteLossHook, 'after_train_iter', counting_guard)
    runner = _runner(tmp_path, ['s0', 's1', 's2', 's3'])
    runner.train()
    assert runner.iter == 2
    assert item_calls == []  # it reads the floats mmengine's RuntimeInfoHook already made
