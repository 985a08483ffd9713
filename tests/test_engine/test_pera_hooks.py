"""PerA schedule hooks: teacher EMA momentum, teacher temperature, weight decay."""
import math
from types import SimpleNamespace

import pytest
import torch
from mmengine.logging import MessageHub
from mmengine.optim import OptimWrapper

from eossl.engine.hooks import TeacherEMAHook, TeacherTempWarmupHook, WeightDecayCosineHook


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


@pytest.mark.parametrize('by_epoch,expected', [(True, [0.03, 0.04, 0.05, 0.05]),
                                                (False, [0.03, 0.05, 0.05, 0.05])])
def test_teacher_temperature_warmup(by_epoch, expected):
    hook, model = TeacherTempWarmupHook(0.03, 0.05, warmup=2, by_epoch=by_epoch), ToyModel()
    values = []
    for k in (0, 5, 10, 30):  # 5 iterations per epoch
        hook.before_train_iter(fake_runner(model, iteration=k), batch_idx=k)
        values.append(model.teacher_temp)
    assert values == pytest.approx(expected)


def test_weight_decay_cosine_keeps_group_multipliers():
    model = ToyModel()
    optimizer = torch.optim.AdamW([dict(params=[model.linear.weight]),
                                   dict(params=[model.linear.bias], weight_decay=0.0)],
                                  lr=0.1, weight_decay=0.04)
    runner = fake_runner(model, max_iters=4, optim_wrapper=OptimWrapper(optimizer))
    hook = WeightDecayCosineHook(start=0.04, end=0.2)
    hook.before_run(runner)
    for k, wd in ((0, 0.04), (2, 0.12), (4, 0.2)):
        runner.iter = k
        hook.before_train_iter(runner, batch_idx=k)
        assert [g['weight_decay'] for g in optimizer.param_groups] == pytest.approx([wd, 0.0])
    hook.before_run(runner)  # a resumed optimizer holds scheduled values; multipliers stay 1, 0
    assert hook.multipliers == [[pytest.approx(5.0), 0.0]]
