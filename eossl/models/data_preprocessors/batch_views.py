"""PerA's aligned views cut, flipped and jittered for a whole batch on the accelerator.

The batch-wise twin of the per-sample path (``EORandomResizedCrop`` → ``EORandomFlip`` →
``RandomBandBrightnessContrast`` per branch, in numpy on the CPU): the parameters were drawn per
sample by :func:`eossl.datasets.transforms.view_params.draw_view_params`; here they are applied
with the same arithmetic in torch, so both paths give the same views up to float rounding:

- crop + resize: separable NaN-aware resampling, ``rows @ image @ colsᵀ`` with one weight
  matrix pair per sample and slot (:func:`axis_weights`, the torch form of
  :func:`eossl.datasets.transforms.resampling.axis_weights`); values and the valid mask are
  resampled alike and divided, an output pixel with under half valid weight is NaN;
- flips per sample and slot;
- jitter ``x' = b·μ + a·(x − μ)`` with μ the view's valid-pixel band mean, per branch.

Nothing here reads a device tensor on the host (no ``.item()``, ``.tolist()``, boolean index
or value-dependent branch), so the step never waits for the accelerator: what decides shapes
and code paths — each slot's output size and resampling mode, and whether every tile of the
batch is known to be free of missing pixels (then the NaN-aware products are skipped) — is
read by :func:`view_plan` from the parameters while they are still CPU tensors, before the
copy to the device.
"""
from typing import NamedTuple

import torch

from eossl.datasets.transforms.resampling import RESAMPLE_MODES


def _kernel(x: torch.Tensor, mode: str) -> torch.Tensor:
    """Interpolation kernel at distances ``x`` (bilinear or Keys' cubic with a = −0.5)."""
    x = x.abs()
    if mode == 'bilinear':
        return (1.0 - x).clamp(min=0.0)
    a = -0.5
    return torch.where(x <= 1, (a + 2) * x**3 - (a + 3) * x**2 + 1,
                       torch.where(x < 2, a * x**3 - 5 * a * x**2 + 8 * a * x - 4 * a,
                                   torch.zeros_like(x)))


def axis_weights(start: torch.Tensor, length: torch.Tensor, size_in: int, size_out: int,
                 mode: str) -> torch.Tensor:
    """Weights (N, size_out, size_in) mapping input pixels to ``size_out`` samples of each of N
    spans ``[start, start + length)`` (input pixels); rows sum to 1 (edge replication)."""
    scale = (length / size_out)[:, None]
    centres = start[:, None] + (torch.arange(size_out, device=start.device) + 0.5) * scale
    index = torch.arange(size_in, device=start.device)
    # one-hot by comparison: F.one_hot reads the indices' range on the host (a sync) on CPU
    nearest = (centres.floor().clamp(0, size_in - 1)[..., None] == index).to(start.dtype)
    if mode == 'nearest':
        return nearest
    pixels = index + 0.5
    weights = _kernel((pixels - centres[..., None]) / scale.clamp(min=1.0)[..., None], mode)
    totals = weights.sum(-1, keepdim=True)
    return torch.where(totals > 0, weights / totals.clamp(min=1e-12), nearest)


class ViewPlan(NamedTuple):
    """The host-side part of a batch's view parameters (see :func:`view_plan`)."""

    slots: list[tuple[tuple[int, int], int]]  # per slot: (output (h, w), RESAMPLE_MODES index)
    complete: bool  # every source tile of the batch is known to have no missing pixel


STATIC_KEYS = ('size', 'mode', 'complete')


def view_plan(params: dict[str, torch.Tensor]) -> tuple[ViewPlan, dict[str, torch.Tensor]]:
    """Split collated view parameters, still on the CPU, into the :class:`ViewPlan` (read on
    the host now, free) and the per-sample tensors to copy to the device (box, flip, jitter).

    ``size`` (B, S, 2) and ``mode`` (B, S) must be equal over the batch; ``complete`` (B,),
    when present, says which tiles have no missing pixel.

    Raises:
        ValueError: the parameters are not on the CPU, or the samples disagree on sizes/modes.
    """
    if any(params[k].device.type != 'cpu' for k in STATIC_KEYS if k in params):
        raise ValueError('aligned_views: read the view plan (size, mode, complete) from CPU '
                         'tensors, before the parameters are copied to the device')
    sizes, modes = params['size'].numpy(), params['mode'].numpy()
    if (sizes != sizes[:1]).any() or (modes != modes[:1]).any():
        raise ValueError('aligned_views: the samples of a batch must share view sizes and '
                         'resampling modes per slot')
    slots = [((int(h), int(w)), int(m)) for (h, w), m in zip(sizes[0], modes[0])]
    complete = 'complete' in params and bool(params['complete'].numpy().all())
    rest = {k: v for k, v in params.items() if k not in STATIC_KEYS}
    return ViewPlan(slots, complete), rest


def crop_resize(images: torch.Tensor, boxes: torch.Tensor, size: tuple[int, int],
                mode: str, complete: bool = False) -> torch.Tensor:
    """Cut ``boxes`` (B, n, 4) (top, left, h, w) out of ``images`` (B, C, H, W), each resized to
    ``size`` → (B, n, C, h, w); NaN-aware as described in the module docstring unless
    ``complete`` (the caller knows ``images`` hold no NaN: one product instead of two)."""
    b, n = boxes.shape[:2]
    height, width = images.shape[-2:]
    flat = boxes.reshape(b * n, 4).to(torch.float64)
    rows = axis_weights(flat[:, 0], flat[:, 2], height, size[0], mode)
    cols = axis_weights(flat[:, 1], flat[:, 3], width, size[1], mode)
    rows = rows.to(images.dtype).view(b, n, 1, size[0], height)
    cols_t = cols.to(images.dtype).view(b, n, 1, size[1], width).transpose(-1, -2)
    if complete:
        return rows @ images.unsqueeze(1) @ cols_t
    invalid = torch.isnan(images)
    total = rows @ images.masked_fill(invalid, 0.0).unsqueeze(1) @ cols_t
    support = rows @ (~invalid).to(images.dtype).unsqueeze(1) @ cols_t
    out = total / support
    return out.masked_fill(support < 0.5, float('nan'))


def flip(views: torch.Tensor, flags: torch.Tensor) -> torch.Tensor:
    """Flip views (N, C, h, w) left-right where ``flags[:, 0]``, up-down where ``flags[:, 1]``."""
    views = torch.where(flags[:, 0, None, None, None], views.flip(-1), views)
    return torch.where(flags[:, 1, None, None, None], views.flip(-2), views)


def band_means(views: torch.Tensor) -> torch.Tensor:
    """Valid-pixel mean of each band of views (N, C, h, w) → (N, C, 1, 1); 0 for all-NaN."""
    valid = ~torch.isnan(views)
    total = views.masked_fill(~valid, 0.0).sum((-2, -1), keepdim=True)
    return total / valid.sum((-2, -1), keepdim=True).clamp(min=1)


def jitter(views: torch.Tensor, factors: torch.Tensor, applied: torch.Tensor) -> torch.Tensor:
    """Apply each of the n jitters (factors (N, n, 2, C), flags (N, n)) in order to views
    (N, C, h, w): ``b·μ + a·(x − μ)`` where applied, unchanged elsewhere."""
    for i in range(factors.shape[1]):
        b, a = (factors[:, i, k, :, None, None].to(views.dtype) for k in (0, 1))
        jittered = views * a + (b - a) * band_means(views)
        views = torch.where(applied[:, i, None, None, None], jittered, views)
    return views


def aligned_views(images: torch.Tensor, params: dict[str, torch.Tensor],
                  plan: ViewPlan) -> list[torch.Tensor]:
    """Source tiles (B, C, H, W) + the batch's :func:`view_plan` and per-sample parameters (on
    the device of ``images``) → the 2·S view batches (student views of all slots, then the
    teacher views), each (B, C, h_s, w_s), as ``AlignedMultiViews`` lays them out."""
    slots, start = len(plan.slots), 0
    geometry: list[torch.Tensor] = []
    while start < slots:  # each run of slots of one size and mode in one batched product
        stop = start + 1
        while stop < slots and plan.slots[stop] == plan.slots[start]:
            stop += 1
        size, mode = plan.slots[start]
        cut = crop_resize(images, params['box'][:, start:stop], size, RESAMPLE_MODES[mode],
                          plan.complete)
        geometry += [flip(cut[:, j], params['flip'][:, start + j]) for j in range(stop - start)]
        start = stop
    return [jitter(geometry[s], params[branch][:, s], params[branch + '_applied'][:, s])
            for branch in ('student', 'teacher') for s in range(slots)]
