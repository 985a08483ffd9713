"""``F.interpolate`` of a (N, C, H, W) map as two matrix products, deterministic in backward.

Why: the CUDA backward of bicubic (and bilinear) upsampling accumulates with atomic adds and
has no deterministic kernel, so ``torch.use_deterministic_algorithms(True)`` (a recipe's
``randomness.deterministic=True``) makes every step that resizes a ViT's position embedding
(PerA's local crops, any input size but the pretraining one) fail. Resizing is separable:
``out = R · x · Cᵀ`` with R (h, H) and C (w, W) the weights ``F.interpolate`` itself applies,
read off by resizing unit vectors. Matmul gradients are deterministic (with
``CUBLAS_WORKSPACE_CONFIG`` set), and the result equals ``F.interpolate`` up to float rounding.
"""
import torch
import torch.nn.functional as F


def _axis_matrix(size_in: int, other: int, axis: int, **kwargs) -> torch.Tensor:
    """(size_out, size_in) weights ``F.interpolate(**kwargs)`` applies along ``axis`` (2 = rows,
    3 = columns) of a map whose other axis has ``other`` pixels."""
    basis = torch.eye(size_in, dtype=torch.float64)  # one unit vector per channel
    shape = (1, size_in, size_in, other) if axis == 2 else (1, size_in, other, size_in)
    grid = basis.view(1, size_in, size_in, 1) if axis == 2 else basis.view(1, size_in, 1, size_in)
    out = F.interpolate(grid.expand(shape).contiguous(), **kwargs)[0]  # (size_in, h', w')
    # a constant along the other axis stays constant, so any line of it holds the weights
    return (out[:, :, 0] if axis == 2 else out[:, 0, :]).T


def interpolate_by_matrices(x: torch.Tensor, **kwargs) -> torch.Tensor:
    """``F.interpolate(x, **kwargs)`` for a 4-D ``x`` (N, C, H, W) as ``R · x · Cᵀ``.

    Args:
        x: the map to resize.
        **kwargs: ``F.interpolate`` arguments (``size`` or ``scale_factor``, ``mode``,
            ``align_corners``); any separable mode (nearest, bilinear, bicubic, no antialias).
    """
    if x.dim() != 4:
        raise ValueError(f'interpolate_by_matrices: expected (N, C, H, W), got {tuple(x.shape)}')
    height, width = x.shape[-2:]
    with torch.no_grad():
        rows = _axis_matrix(height, width, 2, **kwargs).to(x)
        cols = _axis_matrix(width, height, 3, **kwargs).to(x)
    return rows @ x @ cols.T
