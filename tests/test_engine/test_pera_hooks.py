"""PerA schedules: teacher EMA momentum and temperature hooks, mmengine's weight-decay cosine."""
import math
from types import SimpleNamespace

import pytest
import torch
from mmengine.logging import MessageHub
from mmengine.optim import CosineAnnealingParamScheduler

from eossl.engine.hooks import TeacherEMAHook, TeacherTempWarmupHook


class ToyModel(torch.nn.Module):
    """Records the momentum it is asked to use and holds a teacher temperature."""

    def __init__(self) -> None:
        super().__init__()
        self.linear = torch.nn.Linear(2, 2)
        self.momenta: list[float] = []
        self.teacher_temp = 1.0

    def update_teacher(self, momentum: float) -> None:
        self.momenta.append(momentum)


def fake_runner(model, iteration=0, max_iters=10, iters_per_epoch=5, optim_wrapper=None):
    return SimpleNamespace(model=model, iter=iteration, max_iters=max_iters,
                           train_dataloader=[None] * iters_per_epoch, optim_wrapper=optim_wrapper,
                           message_hub=MessageHub.get_instance('test_pera_hooks'))


def test_teacher_momentum_cosine():
    hook, model = TeacherEMAHook(momentum=0.992, end_momentum=1.0), ToyModel()
    for k in (0, 5, 10):
        hook.after_train_iter(fake_runner(model, iteration=k, max_iters=10), batch_idx=k)
    assert model.momenta == pytest.approx([0.992, 0.996, 1.0])
    hook.after_train_iter(fake_runner(model, iteration=2, max_iters=10), batch_idx=2)
    assert model.momenta[-1] == pytest.approx(1 - 0.008 * (1 + math.cos(math.pi * 0.2)) / 2)
    with pytest.raises(AttributeError, match='update_teacher'):
        hook.after_train_iter(fake_runner(torch.nn.Linear(1, 1)), batch_idx=0)


@pytest.mark.parametrize('by_epoch,expected', [(True, [0.03, 0.03 + 0.02 * 5 / 9, 0.05, 0.05]),
                                                (False, [0.03, 0.05, 0.05, 0.05])])
def test_teacher_temperature_warmup(by_epoch, expected):
    hook, model = TeacherTempWarmupHook(0.03, 0.05, warmup=2, by_epoch=by_epoch), ToyModel()
    values = []
    for k in (0, 5, 10, 30):  # 5 iterations per epoch
        hook.before_train_iter(fake_runner(model, iteration=k), batch_idx=k)
        values.append(model.teacher_temp)
    assert values == pytest.approx(expected)


def test_weight_decay_cosine_scales_each_group_from_its_own_initial_value():
    """The recipes' CosineAnnealingParamScheduler(weight_decay, eta_min_ratio=5): 0.04 → 0.2 by
    the official per-iteration cosine cos(π k / K); a paramwise group at half decay follows at
    half, a decay_mult=0 group stays 0."""
    model = ToyModel()
    optimizer = torch.optim.AdamW([dict(params=[model.linear.weight]),
                                   dict(params=[model.linear.bias], weight_decay=0.0)],
                                  lr=0.1, weight_decay=0.04)
    extra = torch.nn.Parameter(torch.zeros(1))
    optimizer.add_param_group(dict(params=[extra], weight_decay=0.02))
    scheduler = CosineAnnealingParamScheduler(optimizer, 'weight_decay', eta_min_ratio=5.0,
                                              T_max=4, begin=0, end=4)
    for k in range(4):
        wd = 0.2 + (0.04 - 0.2) * (1 + math.cos(math.pi * k / 4)) / 2
        assert [g['weight_decay'] for g in optimizer.param_groups] == pytest.approx(
            [wd, 0.0, wd / 2])
        optimizer.step()
        scheduler.step()
