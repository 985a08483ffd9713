"""Turn SIGTERM / SIGINT into a clean stop at the next iteration boundary.

Schedulers (slurm's ``--signal``, Kubernetes' pod termination, a preempted cloud VM) send SIGTERM
some seconds before a SIGKILL, and Ctrl-C sends SIGINT. Python's defaults end the process at once
(SIGTERM) or raise ``KeyboardInterrupt`` wherever the interpreter happens to be, losing the
iterations since the last checkpoint, or interrupting a checkpoint while it is written.
:class:`StopSignals` only records the first signal; the training loop asks :meth:`received` after
each iteration, saves a checkpoint there and raises :class:`TrainingStopped`. A second SIGINT
means "now": it raises ``KeyboardInterrupt`` as Python would.

DataLoader workers forked after :meth:`install` inherit the handler, so a Ctrl-C that the
terminal also sends to them does not end them mid-epoch.
"""
import os
import signal
import threading
import weakref
from collections.abc import Sequence
from types import FrameType
from typing import Any


class TrainingStopped(Exception):
    """Training stopped on a signal after saving ``checkpoint`` (resume from it)."""

    def __init__(self, signame: str, iteration: int, checkpoint: str) -> None:
        super().__init__(f'training stopped by {signame} after iteration {iteration}; '
                         f'checkpoint saved: {checkpoint}')
        self.signame, self.iteration, self.checkpoint = signame, iteration, checkpoint

    @property
    def exit_code(self) -> int:
        """The shell's code for a process ended by that signal (143 SIGTERM, 130 SIGINT)."""
        return 128 + int(getattr(signal, self.signame))


class StopSignals:
    """Record the first of ``names`` (e.g. ``('SIGTERM', 'SIGINT')``) while installed.

    Installed only from the main thread of the main process (signal handlers must be), and
    restored to the previous handlers by :meth:`restore`. A signal that arrives when the
    runner's ``train()`` is no longer running (it ended with an error before :meth:`restore`)
    restores the previous handlers and is delivered to them.
    """

    def __init__(self, names: Sequence[str]) -> None:
        unknown = [n for n in names if not isinstance(getattr(signal, n, None), signal.Signals)]
        if unknown:
            raise ValueError(f'stop signals: unknown signal name(s) {unknown}, expected names '
                             "such as 'SIGTERM', 'SIGINT', 'SIGUSR1'")
        self.names = tuple(names)
        self.signame: str | None = None
        self._previous: dict[int, Any] = {}
        self._pid, self._owner = -1, weakref.ref(self)

    def install(self, owner: Any) -> bool:
        """Install the handlers while ``owner.train()`` runs (the runner); False (and nothing
        done) outside the main thread."""
        if threading.current_thread() is not threading.main_thread():
            return False
        self.signame, self._pid, self._owner = None, os.getpid(), weakref.ref(owner)
        for name in self.names:
            number = getattr(signal, name)
            self._previous[number] = signal.signal(number, self._handle)
        return True

    def restore(self) -> None:
        """Put back the handlers found by :meth:`install`."""
        if threading.current_thread() is not threading.main_thread():
            return
        for number, handler in self._previous.items():
            signal.signal(number, handler)
        self._previous.clear()

    def received(self) -> str | None:
        """The name of the first signal received since :meth:`install`, or None."""
        return self.signame

    def _training(self, frame: FrameType | None) -> bool:
        """Whether the owner's ``train()`` is on the interrupted stack (not after it failed)."""
        owner = self._owner()
        while frame is not None:
            if frame.f_code.co_name == 'train' and frame.f_locals.get('self') is owner:
                return True
            frame = frame.f_back
        return False

    def _handle(self, number: int, frame: FrameType | None) -> None:
        # training ended by an error, or a process forked after it (a multiprocessing pool):
        # the signal is not ours, its default action runs
        if not self._training(frame):
            self.restore()
            signal.raise_signal(number)
            return
        if os.getpid() != self._pid:  # a DataLoader worker forked by train(): the main one stops
            return
        name = signal.Signals(number).name
        if self.signame is not None and number == signal.SIGINT:
            raise KeyboardInterrupt(f'second {name}: stopping without saving')
        if self.signame is None:
            self.signame = name
            print(f'eossl: received {name}; stopping after this iteration and saving a '
                  'checkpoint (send SIGINT again to stop at once)', flush=True)
