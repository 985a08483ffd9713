"""Pure-PyTorch stand-ins for the two ``mmcv.ops`` functions mmsegmentation imports at load time.

Why: mmcv-lite (mmcv 2.x built without ``MMCV_WITH_OPS``, e.g. 2.1.0) ships ``mmcv/ops/*.py`` but
no compiled ``mmcv._ext``, so ``import mmcv.ops`` raises ``No module named 'mmcv._ext'``.
mmsegmentation 1.2.2 nevertheless runs ``from mmcv.ops import point_sample`` (models/utils,
decode_heads/san_head.py, utils/mask_classification.py) and ``from mmcv.ops import
sigmoid_focal_loss`` (models/losses/focal_loss.py) unguarded, which breaks ``import mmseg.models``.
With a full mmcv build (compiled ops) nothing here activates; with mmcv-lite the fallback also
silences mmcv's "install mmcv rather than mmcv-lite" import warning. Remove once mmsegmentation
guards these imports, or once eossl requires a full mmcv.
"""
import sys
import types
import warnings
from typing import Any

import torch
import torch.nn.functional as F

from eossl.supported_versions import MMCV, require

_REDUCTIONS = ('none', 'mean', 'sum')


def point_sample(input: torch.Tensor, points: torch.Tensor, align_corners: bool = False,
                 **kwargs: Any) -> torch.Tensor:
    """Bilinearly sample a feature map at points in normalized ``[0, 1]`` image coordinates.

    Same contract as mmcv's ``point_sample``: points are ``(x, y)`` pairs where 0 and 1 are the
    image borders (or the outer pixel centres when ``align_corners``); they are mapped to
    ``grid_sample``'s ``[-1, 1]`` range by ``2 * p - 1``.

    Args:
        input: feature map ``(N, C, H, W)``.
        points: ``(N, P, 2)`` or ``(N, Hg, Wg, 2)``.
        align_corners: passed to :func:`torch.nn.functional.grid_sample`.
        **kwargs: further ``grid_sample`` options (``mode``, ``padding_mode``).

    Returns:
        ``(N, C, P)`` for ``(N, P, 2)`` points, else ``(N, C, Hg, Wg)``.
    """
    if input.dim() != 4 or points.dim() not in (3, 4) or points.size(-1) != 2:
        raise ValueError('point_sample expects input (N, C, H, W) and points (N, P, 2) or '
                         f'(N, Hg, Wg, 2), got {tuple(input.shape)} and {tuple(points.shape)}')
    flat = points.dim() == 3
    grid = 2.0 * points - 1.0
    if flat:
        grid = grid.unsqueeze(2)
    sampled = F.grid_sample(input, grid, align_corners=align_corners, **kwargs)
    return sampled.squeeze(3) if flat else sampled


def sigmoid_focal_loss(input: torch.Tensor, target: torch.Tensor, gamma: float = 2.0,
                       alpha: float = 0.25, weight: torch.Tensor | None = None,
                       reduction: str = 'mean') -> torch.Tensor:
    """Sigmoid focal loss (Lin et al., 2017) with the contract of mmcv's compiled op.

    Every class is an independent binary problem: class ``target[n]`` is positive for sample
    ``n`` and all others negative; ``target == C`` marks a background sample (all negative), as
    mmdet/mmseg use it. With ``p = sigmoid(x)`` the element loss is
    ``-alpha (1 - p)^gamma log p`` for positives and ``-(1 - alpha) p^gamma log(1 - p)``
    for negatives. Log-sigmoid replaces mmcv's ``log(max(p, FLT_MIN))`` for stabler gradients.

    Args:
        input: logits ``(N, C)``.
        target: class indices ``(N,)`` (int64), each in ``[0, C]``.
        gamma: focusing exponent.
        alpha: weight of the positive term; negatives get ``1 - alpha``.
        weight: per-class weights ``(C,)``; as in mmcv, sample ``n``'s row is scaled by
            ``weight[target[n]]`` (so background targets are not allowed with it).
        reduction: ``'none'`` → ``(N, C)``; ``'sum'``; ``'mean'`` = sum / N (mmcv divides by the
            number of samples, not of elements).

    Returns:
        The loss, ``(N, C)`` or a scalar.
    """
    if input.dim() != 2 or target.shape != input.shape[:1] or target.dtype != torch.long:
        raise ValueError('sigmoid_focal_loss expects input (N, C) and int64 target (N,), got '
                         f'{tuple(input.shape)} and {target.dtype} {tuple(target.shape)}')
    if reduction not in _REDUCTIONS:
        raise ValueError(f'sigmoid_focal_loss reduction must be one of {_REDUCTIONS}, '
                         f'got {reduction!r}')
    num_classes = input.size(1)
    if target.numel() and (target.min() < 0 or target.max() > num_classes):
        raise ValueError(f'sigmoid_focal_loss target values must lie in [0, {num_classes}]')
    positive = F.one_hot(target, num_classes + 1)[:, :num_classes].to(input.dtype)
    prob = input.sigmoid()
    positive_loss = -alpha * (1 - prob).pow(gamma) * F.logsigmoid(input)
    negative_loss = -(1 - alpha) * prob.pow(gamma) * F.logsigmoid(-input)
    loss = positive * positive_loss + (1 - positive) * negative_loss
    if weight is not None:
        if weight.shape != (num_classes,):
            raise ValueError(f'sigmoid_focal_loss weight must have shape ({num_classes},), '
                             f'got {tuple(weight.shape)}')
        if target.numel() and target.max() == num_classes:
            raise ValueError('sigmoid_focal_loss weight is indexed by target class, so it cannot '
                             f'be combined with background targets (== {num_classes})')
        loss = loss * weight[target].unsqueeze(1)
    if reduction == 'sum':
        return loss.sum()
    if reduction == 'mean':
        return loss.sum() / input.size(0)
    return loss


class CompiledOpsFallback(types.ModuleType):
    """The module installed as ``mmcv.ops`` when mmcv has no compiled ops.

    It exposes :func:`point_sample` and :func:`sigmoid_focal_loss`; any other op name raises
    ``ModuleNotFoundError``, which is what mmseg's ``try: from mmcv.ops import PSAMask except
    ModuleNotFoundError`` guards expect (``from m import X`` re-raises a ``__getattr__``
    ``AttributeError`` as a plain ``ImportError``, which those guards would not catch).
    """

    def __getattr__(self, name: str) -> object:
        if name.startswith('__'):
            # Import machinery, pickle, inspect and hasattr() probe dunders and expect this.
            raise AttributeError(f'module {self.__name__!r} has no attribute {name!r}')
        raise ModuleNotFoundError(
            f'mmcv.ops.{name} is not available: the installed mmcv (mmcv-lite) has no compiled '
            "ops ('mmcv._ext'), and eossl only provides pure-PyTorch point_sample and "
            f'sigmoid_focal_loss. {name} needs a full mmcv build with compiled ops.',
            name='mmcv._ext')


def install_mmcv_ops_fallback() -> None:
    """Register :class:`CompiledOpsFallback` as ``mmcv.ops`` iff mmcv's compiled ops are missing.

    A working ``mmcv.ops`` (full build, or this fallback already installed) is left untouched,
    and so is one failing for any other reason: its own error is then the informative one.
    """
    try:
        import mmcv.ops  # noqa: F401
    except ImportError as error:
        if not isinstance(error, ModuleNotFoundError) or error.name != 'mmcv._ext':
            return
    else:
        return
    import mmcv
    for package in ('mmcv', 'mmcv-lite'):
        require('mmcv.ops fallback for mmcv-lite (eossl.compat.mmcv_ops)', package, MMCV)
    fallback = CompiledOpsFallback('mmcv.ops', __doc__)
    fallback.point_sample = point_sample  # type: ignore[attr-defined]
    fallback.sigmoid_focal_loss = sigmoid_focal_loss  # type: ignore[attr-defined]
    fallback.__all__ = ['point_sample', 'sigmoid_focal_loss']  # type: ignore[attr-defined]
    sys.modules['mmcv.ops'] = fallback
    mmcv.ops = fallback
    # Without compiled ops, mmcv.cnn.bricks.transformer (imported by mmpretrain) warns at every
    # start "You should install mmcv rather than mmcv-lite": eossl requires mmcv-lite and uses
    # no deformable attention, so this one known warning is silenced (nothing else is).
    warnings.filterwarnings('ignore', category=UserWarning,
                            message='Fail to import ``MultiScaleDeformableAttention``')
