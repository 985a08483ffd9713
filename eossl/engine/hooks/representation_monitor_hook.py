"""Collapse and health monitors of a pretraining run, read from the algorithm's own forward pass.

The hook asks the algorithm what to watch and what the values mean, never its class: before
training it registers a torch forward hook on each module of ``model.monitor_taps()``
(``{name: (module, 'input' | 'output')}``); every ``interval`` iterations it keeps (detached) what
those hooks see in the first call of that iteration's training forward, hands it to
``model.monitor_values(seen)`` and logs the returned scalars as ``train/<name>`` through the
message hub (so they reach the logger, ``scalars.json`` and every visualizer backend). A model
without taps is left alone (one log line says so). On the other iterations the forward hooks
return at once: no copy, no host synchronisation.

The monitors the shipped methods return (:mod:`eossl.models.utils.representation_stats`):
``repr_std`` and ``repr_rank`` (RankMe) of their embeddings; contrastive methods
``repr_pos_sim``, ``repr_neg_sim``, ``repr_sim_gap``; self-distillation ``teacher_entropy``,
``teacher_batch_entropy``, ``student_teacher_kl``.

A run is judged collapsed (from iteration ``warmup_iters`` on, since at initialisation a
network maps everything close together and a DINO teacher is near uniform) when any of:
``repr_std < min_std`` (default 0.05), ``repr_rank < min_rank`` (1.5), ``repr_sim_gap <
min_sim_gap`` (0.02), ``teacher_entropy > max_teacher_entropy`` (0.98: the teacher says
nothing), ``teacher_batch_entropy < min_teacher_batch_entropy`` (0.05: one prototype).
``action='warn'`` logs a warning naming the monitors; ``'stop'`` raises
:class:`RepresentationCollapseError`. ``None`` disables a check; a monitor the model does not
return is not checked.
"""
from typing import Any

import torch
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper

from eossl.registry import HOOKS


class RepresentationCollapseError(RuntimeError):
    """Raised by :class:`RepresentationMonitorHook` with ``action='stop'``."""


@HOOKS.register_module()
class RepresentationMonitorHook(Hook):
    """Logs embedding health every ``interval`` iterations and flags collapse (module doc).

    Args:
        interval: observe one training iteration in this many.
        action: ``'warn'`` or ``'stop'`` when a check fails.
        warmup_iters: iterations before checks apply (the monitors are logged from the start).
        min_std, min_rank, min_sim_gap, max_teacher_entropy, min_teacher_batch_entropy:
            thresholds (see the module docstring); ``None`` disables that check.
    """

    priority = 'NORMAL'  # before the LoggerHook (BELOW_NORMAL), so a logged line includes ours

    def __init__(self, interval: int = 50, action: str = 'warn', warmup_iters: int = 1000,
                 min_std: float | None = 0.05, min_rank: float | None = 1.5,
                 min_sim_gap: float | None = 0.02, max_teacher_entropy: float | None = 0.98,
                 min_teacher_batch_entropy: float | None = 0.05) -> None:
        if interval < 1 or action not in ('warn', 'stop'):
            raise ValueError(f"RepresentationMonitorHook: need interval >= 1 and action 'warn' "
                             f"or 'stop', got {interval}, {action!r}")
        self.interval, self.action, self.warmup_iters = interval, action, warmup_iters
        self.lower = dict(repr_std=min_std, repr_rank=min_rank, repr_sim_gap=min_sim_gap,
                          teacher_batch_entropy=min_teacher_batch_entropy)
        self.upper = dict(teacher_entropy=max_teacher_entropy)
        self.active = False
        self.seen: dict[str, object] = {}
        self.model = None
        self.handles: list = []
        self.history: list[dict[str, float]] = []  # every observed iteration's monitors

    def _tap(self, module: torch.nn.Module, name: str, what: str) -> None:
        """Keep the first ``what`` ('output' or 'input') of ``module`` in an observed iteration."""
        if what not in ('input', 'output'):
            raise ValueError(f'RepresentationMonitorHook: tap {name!r} of {self.kind} must watch '
                             f"'input' or 'output', got {what!r}")

        def hook(_module, args, output):
            if self.active and name not in self.seen:
                self.seen[name] = _detached(args[0] if what == 'input' else output)
        self.handles.append(module.register_forward_hook(hook))

    def before_train(self, runner) -> None:
        """Ask the algorithm for the modules to watch and attach the forward hooks."""
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        self.model, self.kind = model, type(model).__name__
        taps = model.monitor_taps() if hasattr(model, 'monitor_taps') else {}
        for name, (module, what) in taps.items():
            self._tap(module, name, what)
        if not taps:
            print_log(f'RepresentationMonitorHook: {self.kind} declares no monitor taps; skipped',
                      logger='current')

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        self.active = bool(self.handles) and self.every_n_train_iters(runner, self.interval)
        self.seen = {}

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        """Log the observed iteration's monitors and check them against the thresholds."""
        if not self.active:
            return
        self.active = False
        with torch.no_grad():
            values = {k: float(v) for k, v in self.model.monitor_values(self.seen).items()}
        self.seen = {}
        if not values:
            return
        self.history.append(dict(values, iter=runner.iter + 1))
        for key, value in values.items():
            runner.message_hub.update_scalar(f'train/{key}', value)
        if runner.iter + 1 < self.warmup_iters:
            return
        failed = [f'{k}={values[k]:.4g} < {t}' for k, t in self.lower.items()
                  if t is not None and k in values and values[k] < t]
        failed += [f'{k}={values[k]:.4g} > {t}' for k, t in self.upper.items()
                   if t is not None and k in values and values[k] > t]
        if not failed:
            return
        message = (f'RepresentationMonitorHook: {self.kind} looks collapsed at iteration '
                   f'{runner.iter + 1}: ' + ', '.join(failed))
        if self.action == 'stop':
            raise RepresentationCollapseError(message)
        print_log(message, logger='current', level=30)

    def after_train(self, runner) -> None:
        """Detach the forward hooks."""
        for handle in self.handles:
            handle.remove()
        self.handles = []


def _detached(value: Any) -> Any:
    """``value`` detached: a tensor, or a tuple / list of tensors (other items as they are)."""
    if isinstance(value, torch.Tensor):
        return value.detach()
    if isinstance(value, (tuple, list)):
        return type(value)(v.detach() if isinstance(v, torch.Tensor) else v for v in value)
    return value
