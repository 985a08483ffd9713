"""What a whole-step reference keeps of a model after a training step, small enough to commit.

A whole-step reference (``<method>_whole_step.npz``) stores, after step 1 and after step 3 of
the official training code on one fixed batch: the loss (terms), the L2 norm of every
parameter's gradient and of every parameter's change since the initial weights, and the full
gradient / updated value of a few chosen parameters. Norms are listed in the order of
``names`` (eossl's parameter names), so the test compares parameter by parameter.
"""
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import torch


def init_norms(params: Mapping[str, torch.Tensor], names: Iterable[str]) -> np.ndarray:
    """``(P,)`` L2 norms of the initial parameters: the test checks its init is the same."""
    return np.array([float(params[n].detach().double().norm()) for n in names], np.float64)


def record(prefix: str, names: list[str], params: Mapping[str, torch.Tensor],
           initial: Mapping[str, torch.Tensor], full: Iterable[str],
           grads: Mapping[str, torch.Tensor] | None = None) -> dict[str, np.ndarray]:
    """Per-parameter gradient / update norms and full tensors of ``full`` under ``prefix``.

    Args:
        prefix: e.g. ``'step1'``.
        names: eossl parameter names, in the order the norms are stored.
        params: eossl name → the (official) parameter after the step, ``.grad`` still set.
        initial: eossl name → the initial value (a detached copy).
        full: names whose gradient and updated value are stored in full.
        grads: the last step's gradients (default: each parameter's ``.grad``).
    """
    grads = grads if grads is not None else {n: p.grad for n, p in params.items()}
    grad = [float(grads[n].double().norm()) if grads.get(n) is not None else 0. for n in names]
    delta = [float((params[n].detach().double() - initial[n].double()).norm()) for n in names]
    out = {f'{prefix}_grad_norm': np.array(grad), f'{prefix}_delta_norm': np.array(delta)}
    for n in full:
        out[f'{prefix}_grad.{n}'] = grads[n].detach().double().numpy().copy()
        out[f'{prefix}_param.{n}'] = params[n].detach().double().numpy().copy()
    return out


def capture_grads(params: Mapping[str, torch.Tensor]) -> tuple[dict, list]:
    """``(grads, hooks)``: ``grads[name]`` holds a copy of each gradient when it is accumulated
    (training loops zero them after their step); remove the hooks when done."""
    grads: dict[str, torch.Tensor] = {}
    hooks = [p.register_post_accumulate_grad_hook(
        lambda p, n=n: grads.__setitem__(n, p.grad.detach().clone())) for n, p in params.items()]
    return grads, hooks


def eossl_steps(model: torch.nn.Module, optim_wrapper, data: dict, steps: Iterable[int],
                full: Iterable[str], after_step=None) -> dict:
    """Run eossl ``train_step`` calls on ``data``, recording after each step in ``steps``.

    Returns, for every ``k`` in ``steps``, what :func:`record` keeps under ``f'step{k}'`` plus
    ``f'step{k}_losses'`` (the logged losses of steps 1..k). The gradients are taken when they
    are accumulated (the optimizer wrapper zeroes them after its step). ``after_step(i)``
    (optional) runs after step ``i`` (1-based), e.g. the recipe's EMA or scheduler hooks.
    """
    params = {n: p for n, p in model.named_parameters() if p.requires_grad}
    names = list(params)
    initial = {n: p.detach().clone() for n, p in params.items()}
    grads, hooks = capture_grads(params)
    losses: list[dict[str, float]] = []
    out: dict = {}
    try:
        for i in range(1, max(steps) + 1):
            grads.clear()
            log_vars = model.train_step(data, optim_wrapper)
            losses.append({k: float(v.detach()) for k, v in log_vars.items()})
            if after_step is not None:
                after_step(i)
            if i in steps:
                out.update(record(f'step{i}', names, params, initial, full, grads))
                out[f'step{i}_losses'] = list(losses)
    finally:
        for hook in hooks:
            hook.remove()
    return out


def assert_step_matches(ours: Mapping[str, Any], ref: Mapping[str, Any], steps: int,
                        full: Iterable[str], tol: dict, loss_terms: Iterable[str] = ('loss', ),
                        rows: list[int] | None = None) -> None:
    """Assert that :func:`eossl_steps`' record after step ``steps`` equals the reference's.

    Compares the logged ``loss_terms`` of steps 1..``steps`` (reference ``(steps,)`` or
    ``(steps, terms)``), the per-parameter gradient and update norms (only ``rows`` of them,
    e.g. without parameters the official step leaves without gradient) and the full gradient /
    value of every name in ``full``, each with ``np.testing.assert_allclose(**tol)``.
    """
    p, terms = f'step{steps}', list(loss_terms)
    losses = np.array([[s[t] for t in terms] for s in ours[f'{p}_losses']])
    np.testing.assert_allclose(losses, np.reshape(ref[f'{p}_losses'], losses.shape), **tol)
    picked = slice(None) if rows is None else rows
    for norm in ('grad_norm', 'delta_norm'):
        np.testing.assert_allclose(ours[f'{p}_{norm}'][picked], ref[f'{p}_{norm}'][picked], **tol)
    for name in full:
        np.testing.assert_allclose(ours[f'{p}_grad.{name}'], ref[f'{p}_grad.{name}'], **tol)
        np.testing.assert_allclose(ours[f'{p}_param.{name}'], ref[f'{p}_param.{name}'], **tol)
