"""Collapse and health monitors of a pretraining run, read from the algorithm's own forward pass.

Every ``interval`` iterations the hook keeps (detached) what torch forward hooks see on the
algorithm's projection outputs during that iteration's training forward, and logs through the
message hub (so the values reach the logger, ``scalars.json`` and every visualizer backend):

- ``train/repr_std``: mean over dimensions of the per-dimension std, over the batch, of the
  L2-normalised embeddings, times √D (1 ≈ isotropic, 0 = every sample maps to one point);
- ``train/repr_rank``: RankMe (Garrido et al. 2023), ``exp(entropy(σ / Σσ))`` of the
  embedding matrix's singular values (1 = one direction; at most min(N, D));
- contrastive methods (SoftCon, Dual-SimCLR): ``train/repr_pos_sim``, ``train/repr_neg_sim``
  (mean cosine similarity of positive pairs and of all other pairs between the two views /
  modalities) and ``train/repr_sim_gap`` (their difference);
- PerA: ``train/teacher_entropy`` (mean entropy of the centred, sharpened teacher
  distributions as a fraction of ln K: 1 = uniform), ``train/teacher_batch_entropy`` (entropy of
  their batch mean / ln K: 0 = every sample on one prototype) and ``train/student_teacher_kl``
  (KL(teacher ‖ student) in nats, global views).

Which module is tapped per algorithm: SoftCon ``neck`` output (the two views' projections),
Dual-SimCLR ``s1_neck`` / ``s2_neck`` outputs, PerA ``head`` input (student CLS) and output
(student logits, global views: the first call of the iteration) and the EMA teacher's
``projector`` output, MP-MAE the last ``backbone`` stage, average-pooled. Other models are left
alone (one log line says so). On the other iterations the forward hooks return at once: no
copy, no host synchronisation; an observed iteration costs one SVD of a (N, D) matrix.

A run is judged collapsed (from iteration ``warmup_iters`` on, since at initialisation a
network maps everything close together and a DINO teacher is near uniform) when any of:
``repr_std < min_std`` (default 0.05), ``repr_rank < min_rank`` (1.5), ``repr_sim_gap <
min_sim_gap`` (0.02), ``teacher_entropy > max_teacher_entropy`` (0.98: the teacher says
nothing), ``teacher_batch_entropy < min_teacher_batch_entropy`` (0.05: one prototype).
``action='warn'`` logs a warning naming the monitors; ``'stop'`` raises
:class:`RepresentationCollapseError`. ``None`` disables a check.
"""
import math
from typing import Any

import torch
import torch.nn.functional as F
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper

from eossl.registry import HOOKS


class RepresentationCollapseError(RuntimeError):
    """Raised by :class:`RepresentationMonitorHook` with ``action='stop'``."""


def _embed_stats(z: torch.Tensor) -> dict[str, float]:
    """``repr_std`` and ``repr_rank`` of embeddings ``(N, D)``."""
    z = F.normalize(z.float().flatten(1), dim=1)
    std = z.std(0).mean() * math.sqrt(z.shape[1]) if z.shape[0] > 1 else z.new_zeros(())
    sigma = torch.linalg.svdvals(z)
    p = sigma / sigma.sum().clamp_min(1e-12) + 1e-12
    return dict(repr_std=std, repr_rank=torch.exp(-(p * p.log()).sum()))


def _pair_stats(z1: torch.Tensor, z2: torch.Tensor) -> dict[str, torch.Tensor]:
    """Cosine similarity of positives (row i of both) and negatives (i ≠ j), ``(B, D)`` each."""
    sim = F.normalize(z1.float(), dim=1) @ F.normalize(z2.float(), dim=1).T
    pos = sim.diagonal().mean()
    n = sim.shape[0]
    neg = (sim.sum() - sim.diagonal().sum()) / max(n * n - n, 1)
    return dict(repr_pos_sim=pos, repr_neg_sim=neg, repr_sim_gap=pos - neg)


def _entropy(p: torch.Tensor) -> torch.Tensor:
    return -(p * p.clamp_min(1e-12).log()).sum(-1)


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
        self.seen: dict[str, Any] = {}
        self.model: Any = None
        self.handles: list = []
        self.history: list[dict[str, float]] = []  # every observed iteration's monitors

    def _tap(self, module: torch.nn.Module, name: str, what: str = 'output') -> None:
        """Keep the first ``what`` ('output' or 'input') of ``module`` in an observed iteration."""
        def hook(_module, args, output):
            if self.active and name not in self.seen:
                value = args[0] if what == 'input' else output
                if isinstance(value, (tuple, list)):
                    value = value[0] if name in ('softcon',) else value[-1]
                self.seen[name] = value.detach()
        self.handles.append(module.register_forward_hook(hook))

    def before_train(self, runner) -> None:
        """Find the algorithm's projection modules and attach the forward hooks."""
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        kind = type(model).__name__
        self.model, self.kind = model, kind
        if kind == 'SoftCon':
            self._tap(model.neck, 'softcon')
        elif kind == 'DualSimCLR':
            self._tap(model.s1_neck, 's1')
            self._tap(model.s2_neck, 's2')
        elif kind == 'PerA':
            self._tap(model.head, 'cls', 'input')
            self._tap(model.head, 'student')
            self._tap(model.teacher.module.projector, 'teacher')
        elif kind == 'MPMAE':
            self._tap(model.backbone, 'encoder')
        else:
            print_log(f'RepresentationMonitorHook: no monitors for {kind}; skipped',
                      logger='current')

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        self.active = bool(self.handles) and self.every_n_train_iters(runner, self.interval)
        self.seen = {}

    def _monitors(self) -> dict[str, torch.Tensor]:
        """The monitors of what this iteration's forward hooks kept."""
        seen, out = self.seen, dict[str, torch.Tensor]()
        if self.kind == 'SoftCon' and 'softcon' in seen:
            z1, z2 = seen['softcon'].chunk(2)
            out.update(_embed_stats(seen['softcon']), **_pair_stats(z1, z2))
        elif self.kind == 'DualSimCLR' and {'s1', 's2'} <= set(seen):
            out.update(_embed_stats(torch.cat([seen['s1'], seen['s2']])),
                       **_pair_stats(seen['s1'], seen['s2']))
        elif self.kind == 'PerA' and {'cls', 'student', 'teacher'} <= set(seen):
            out.update(_embed_stats(seen['cls']))
            loss = self.model.head.loss_module
            teacher = F.softmax((seen['teacher'].float() - loss.center) / self.model.teacher_temp,
                                dim=-1)
            log_k = math.log(teacher.shape[-1])
            out['teacher_entropy'] = _entropy(teacher).mean() / log_k
            out['teacher_batch_entropy'] = _entropy(teacher.mean(0)) / log_k
            student = seen['student'].float()
            if student.shape == teacher.shape:
                log_s = F.log_softmax(student / loss.student_temp, dim=-1)
                out['student_teacher_kl'] = (teacher * (teacher.clamp_min(1e-12).log()
                                                        - log_s)).sum(-1).mean()
        elif self.kind == 'MPMAE' and 'encoder' in seen:
            feat = seen['encoder']
            out.update(_embed_stats(feat.mean((2, 3)) if feat.dim() == 4 else feat))
        return out

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        """Log the observed iteration's monitors and check them against the thresholds."""
        if not self.active:
            return
        self.active = False
        with torch.no_grad():
            values = {k: float(v) for k, v in self._monitors().items()}
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
