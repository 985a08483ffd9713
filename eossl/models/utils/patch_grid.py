"""Images ↔ patch sequences on a square patch grid (MAE / FCMAE layout).

A patch's vector lists its pixels row by row and, per pixel, its channels (``(py, px, c)`` with
``c`` fastest), the layout of MAE's and MMEarth's ``patchify`` — so a pixel head's 1×1 conv
weights are interchangeable with theirs.
"""
import torch


def patchify(images: torch.Tensor, patch_size: int) -> torch.Tensor:
    """``(B, C, H, W)`` → ``(B, L, p·p·C)`` with ``L = (H/p)·(W/p)`` patches in row-major order."""
    b, c, h, w = images.shape
    p = patch_size
    if h % p or w % p:
        raise ValueError(f'image size {(h, w)} is not a multiple of the patch size {p}')
    x = images.reshape(b, c, h // p, p, w // p, p)
    return x.permute(0, 2, 4, 3, 5, 1).reshape(b, (h // p) * (w // p), p * p * c)


def unpatchify(patches: torch.Tensor, patch_size: int, grid: tuple[int, int]) -> torch.Tensor:
    """``(B, L, p·p·C)`` → ``(B, C, h·p, w·p)`` for ``grid = (h, w)``; inverse of
    :func:`patchify`."""
    b, n, d = patches.shape
    h, w = grid
    p = patch_size
    if n != h * w or d % (p * p):
        raise ValueError(f'patches {tuple(patches.shape)} do not fit grid {grid} with patch {p}')
    c = d // (p * p)
    x = patches.reshape(b, h, w, p, p, c).permute(0, 5, 1, 3, 2, 4)
    return x.reshape(b, c, h * p, w * p)


def upsample_grid(mask: torch.Tensor, patch_size: int) -> torch.Tensor:
    """A per-patch map ``(B, h, w)`` → the per-pixel map ``(B, h·p, w·p)``."""
    return mask.repeat_interleave(patch_size, 1).repeat_interleave(patch_size, 2)
