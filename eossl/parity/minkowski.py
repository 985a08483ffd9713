"""A small, independent implementation of the MinkowskiEngine pieces MMEarth's sparse encoder uses.

MinkowskiEngine (CUDA build) cannot be installed here, and the official *dense* path
(``FCMAE(sparse=False)``) is not the same network: it zeroes the masked patches of the input
once and then convolves densely, so masked sites fill up again layer by layer. To run the
official ``SparseConvNeXtV2`` code unchanged, :func:`install` registers ``MinkowskiEngine`` /
``MinkowskiOps`` modules with these classes, written from MinkowskiEngine's documented semantics
on explicit coordinate lists (not by masking dense maps, which is what eossl does):

- ``to_sparse(x)``: one site per pixel with any non-zero channel, coordinates ``(b, y, x)``;
- a convolution of kernel ``k`` and stride ``t`` on a tensor of stride ``s``: stride 1 keeps the
  input sites; stride ``t`` makes a site at ``floor(c / (s·t))·s·t`` for every input site ``c``;
  at every output site it sums ``F[c + d·s] @ W[d]`` over the kernel offsets ``d`` whose
  neighbour is a site (odd ``k``: ``d ∈ [-(k-1)/2, (k-1)/2]``, even ``k``: ``d ∈ [0, k)``), plus
  the bias. Kernels are ``(k·k, in, out)`` (depthwise ``(k·k, C)``), offset ``i = dx·k + dy``
  as ``eossl.cli.mmearth_to_eossl.minkowski_to_dense`` reads them; biases ``(1, out)``;
- ``MinkowskiLinear`` / ``MinkowskiGELU`` act on the feature matrix ``F``; ``+`` adds the
  features of two tensors on the same sites (the residual sum);
- ``SparseTensor.dense()`` scatters the sites into a zero map of size ``max coordinate + 1``.
"""
import sys
import types

import torch
import torch.nn.functional as F
from torch import nn


class CoordinateKey:
    """Sites ``(N, 3)`` int64 ``(b, y, x)`` in input pixels and the tensor stride."""

    def __init__(self, coords: torch.Tensor, stride: int) -> None:
        self.coords, self.stride = coords, stride

    def lookup(self) -> torch.Tensor:
        """``(B, H/s, W/s)`` grid of site indices (−1: no site)."""
        c = self.coords.clone()
        c[:, 1:] //= self.stride
        size = (c.max(0).values + 1).tolist()
        grid = torch.full(size, -1, dtype=torch.long)
        grid[c[:, 0], c[:, 1], c[:, 2]] = torch.arange(len(c))
        return grid


class SparseTensor:
    """Features ``F`` ``(N, C)`` on the sites of ``coordinate_map_key``."""

    def __init__(self, features: torch.Tensor, coordinate_map_key: CoordinateKey,
                 coordinate_manager=None) -> None:
        self.F, self.coordinate_map_key = features, coordinate_map_key
        self.coordinate_manager = coordinate_manager

    @property
    def C(self) -> torch.Tensor:
        return self.coordinate_map_key.coords

    @property
    def decomposed_coordinates(self) -> list[torch.Tensor]:
        return [self.C[self.C[:, 0] == b, 1:] for b in self.C[:, 0].unique()]

    def __add__(self, other: 'SparseTensor') -> 'SparseTensor':
        if other.coordinate_map_key is not self.coordinate_map_key:
            raise ValueError('adding sparse tensors on different sites')
        return SparseTensor(self.F + other.F, self.coordinate_map_key)

    def dense(self):
        s = self.coordinate_map_key.stride
        c = self.C.clone()
        c[:, 1:] //= s
        b, h, w = (c.max(0).values + 1).tolist()
        out = self.F.new_zeros(b, self.F.shape[1], h, w)
        out[c[:, 0], :, c[:, 1], c[:, 2]] = self.F
        return out, torch.zeros(2, dtype=torch.long), s


def to_sparse(x: torch.Tensor) -> SparseTensor:
    """Dense ``(B, C, H, W)`` → the sites with a non-zero channel."""
    coords = (x != 0).any(1).nonzero()
    return SparseTensor(x[coords[:, 0], :, coords[:, 1], coords[:, 2]], CoordinateKey(coords, 1))


def _offsets(k: int) -> list[tuple[int, int, int]]:
    """``(kernel index, dy, dx)`` with index ``dx·k + dy``."""
    r = range(-(k // 2), k // 2 + 1) if k % 2 else range(k)
    return [(j * k + i, dy, dx) for j, dx in enumerate(r) for i, dy in enumerate(r)]


def _conv(x: SparseTensor, kernel: torch.Tensor, bias: torch.Tensor | None, k: int, t: int,
          depthwise: bool) -> SparseTensor:
    key, s = x.coordinate_map_key, x.coordinate_map_key.stride
    if t == 1:
        out_key = key
    else:
        c = key.coords.clone()
        c[:, 1:] = c[:, 1:] // (s * t) * (s * t)
        out_key = CoordinateKey(c.unique(dim=0), s * t)
    grid = key.lookup()
    out = x.F.new_zeros(len(out_key.coords), kernel.shape[-1])
    b, y, xx = out_key.coords.unbind(1)
    for index, dy, dx in _offsets(k):
        ny, nx = y // s + dy, xx // s + dx
        inside = (ny >= 0) & (nx >= 0) & (ny < grid.shape[1]) & (nx < grid.shape[2])
        nbr = torch.full_like(b, -1)
        nbr[inside] = grid[b[inside], ny[inside], nx[inside]]
        hit = nbr >= 0
        feats = x.F[nbr[hit]]
        out[hit] += feats * kernel[index] if depthwise else feats @ kernel[index]
    if bias is not None:
        out = out + bias
    return SparseTensor(out, out_key)


class MinkowskiConvolution(nn.Module):
    """Sparse convolution: kernel ``(k·k, in, out)``, bias ``(1, out)``."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1,
                 bias: bool = False, dimension: int = 2) -> None:
        super().__init__()
        self.kernel = nn.Parameter(torch.zeros(kernel_size ** 2, in_channels, out_channels))
        self.bias = nn.Parameter(torch.zeros(1, out_channels)) if bias else None
        self.k, self.t = kernel_size, stride

    def forward(self, x: SparseTensor) -> SparseTensor:
        return _conv(x, self.kernel, self.bias, self.k, self.t, depthwise=False)


class MinkowskiDepthwiseConvolution(nn.Module):
    """Sparse depthwise convolution: kernel ``(k·k, C)``, bias ``(1, C)``."""

    def __init__(self, in_channels: int, kernel_size: int, stride: int = 1, bias: bool = False,
                 dimension: int = 2) -> None:
        super().__init__()
        self.kernel = nn.Parameter(torch.zeros(kernel_size ** 2, in_channels))
        self.bias = nn.Parameter(torch.zeros(1, in_channels)) if bias else None
        self.k, self.t = kernel_size, stride

    def forward(self, x: SparseTensor) -> SparseTensor:
        return _conv(x, self.kernel, self.bias, self.k, self.t, depthwise=True)


class MinkowskiLinear(nn.Module):
    """``nn.Linear`` (as ``.linear``) on the feature matrix."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True) -> None:
        super().__init__()
        self.linear = nn.Linear(in_features, out_features, bias=bias)

    def forward(self, x: SparseTensor) -> SparseTensor:
        return SparseTensor(self.linear(x.F), x.coordinate_map_key)


class MinkowskiGELU(nn.Module):
    """GELU on the feature matrix."""

    def forward(self, x: SparseTensor) -> SparseTensor:
        return SparseTensor(F.gelu(x.F), x.coordinate_map_key)


def install() -> None:
    """Register ``MinkowskiEngine`` and ``MinkowskiOps`` as these implementations."""
    engine = types.ModuleType('MinkowskiEngine')
    for cls in (SparseTensor, MinkowskiConvolution, MinkowskiDepthwiseConvolution,
                MinkowskiLinear, MinkowskiGELU):
        setattr(engine, cls.__name__, cls)
    ops = types.ModuleType('MinkowskiOps')
    ops.to_sparse = to_sparse  # type: ignore[attr-defined]
    sys.modules['MinkowskiEngine'], sys.modules['MinkowskiOps'] = engine, ops
