"""All-gather that keeps the autograd path, for contrastive losses over the global batch."""
import torch
import torch.distributed as dist


class _AllGatherWithGrad(torch.autograd.Function):
    """Forward: concatenate every rank's ``(B, ...)`` along dim 0 → ``(world * B, ...)``.

    Backward: every rank's loss may depend on every rank's rows, so the gradient of this rank's
    rows is the SUM over ranks of their gradients w.r.t. those rows (an all-reduce, then the local
    slice). With DDP's gradient averaging this yields exactly the single-process gradient of the
    mean of the per-rank losses.
    """

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:
        world, rank = dist.get_world_size(), dist.get_rank()
        ctx.rank, ctx.rows = rank, x.size(0)
        parts = [torch.empty_like(x) for _ in range(world)]
        dist.all_gather(parts, x.contiguous())
        return torch.cat(parts)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        grad = grad.contiguous()
        dist.all_reduce(grad, op=dist.ReduceOp.SUM)
        start = ctx.rank * ctx.rows
        return grad[start:start + ctx.rows]


def all_gather_with_grad(x: torch.Tensor) -> torch.Tensor:
    """Concatenate ``x`` ``(B, D)`` from all ranks in rank order → ``(world * B, D)``, with grad.

    Rank ``r``'s rows are at ``[r * B, (r + 1) * B)``. Identity when torch.distributed is not
    initialized or has one rank. All ranks must pass the same ``B``: a plain all-gather of
    unequal shapes hangs or fails obscurely, so the sizes are exchanged first and compared by
    ``torch._assert_async``: a ``ValueError`` at once on CPU tensors, a device-side assertion
    on an accelerator, and the host never waits for the device.
    """
    if not (dist.is_available() and dist.is_initialized()) or dist.get_world_size() == 1:
        return x
    size = torch.full((1,), x.size(0), dtype=torch.long, device=x.device)
    sizes = [torch.empty_like(size) for _ in range(dist.get_world_size())]
    dist.all_gather(sizes, size)
    try:
        torch._assert_async(torch.cat(sizes).eq(size).all(), 'all_gather_with_grad: every rank '
                            'must hold the same batch size (use a sampler that pads, e.g. '
                            'mmengine DefaultSampler(round_up=True))')
    except RuntimeError as error:  # raised at once on the CPU only
        raise ValueError(str(error)) from None
    return _AllGatherWithGrad.apply(x)
