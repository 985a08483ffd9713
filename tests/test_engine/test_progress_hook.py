"""EpochProgressHook: a bar over each epoch's training iterations, on rank 0's stderr."""
from types import SimpleNamespace

import pytest

from eossl.engine.hooks import EpochProgressHook


def _epoch(hook: EpochProgressHook, epoch: int, iterations: int) -> None:
    runner = SimpleNamespace(train_loop=object(), train_dataloader=[None] * iterations,
                             epoch=epoch, max_epochs=3)
    hook.before_train_epoch(runner)
    for i in range(iterations):
        hook.after_train_iter(runner, i)
    hook.after_train_epoch(runner)


def test_one_bar_per_epoch_counts_its_iterations(capsys):
    hook = EpochProgressHook(show='always')
    _epoch(hook, 0, 4)
    _epoch(hook, 1, 4)
    err = capsys.readouterr().err
    assert 'epoch 1/3' in err and 'epoch 2/3' in err and '4/4' in err
    assert hook.bar is None


def test_no_bar_when_stderr_is_not_a_terminal_or_when_off(capsys):
    for show in ('tty', 'never'):  # pytest's captured stderr is no terminal
        _epoch(EpochProgressHook(show=show), 0, 4)
    assert capsys.readouterr().err == ''
    with pytest.raises(ValueError, match="show must be one of"):
        EpochProgressHook(show='yes')
