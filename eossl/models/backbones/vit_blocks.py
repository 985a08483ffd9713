"""Transformer block of the DINOv2-style ViT, with DINOv2's module and parameter names.

Names matter: ``norm1``, ``attn.qkv``, ``attn.proj``, ``ls1.gamma``, ``norm2``, ``mlp.fc1``,
``mlp.fc2``, ``ls2.gamma`` are the keys of the official DINOv2 / SoftCon checkpoints, so those
load into :class:`~eossl.models.backbones.EOVisionTransformer` without renaming.
"""
from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import nn

DROP_PATH_MODES = ('subset', 'mask')
#: sequence groups of concatenated tokens: one (batch size, sequence length) per group
Groups = Sequence[tuple[int, int]]
#: a residual branch on concatenated tokens (N, D) of ``Groups`` → (N, D)
GroupBranch = Callable[[torch.Tensor, Groups], torch.Tensor]


class DropPath(nn.Module):
    """Stochastic depth: drop the whole residual branch of a sample with probability ``p``."""

    def __init__(self, p: float = 0.0) -> None:
        super().__init__()
        self.p = p

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, ...) → (B, ...); kept samples are rescaled by 1/(1-p) so the expectation holds."""
        if self.p == 0.0 or not self.training:
            return x
        keep = x.new_empty((x.shape[0],) + (1,) * (x.ndim - 1)).bernoulli_(1 - self.p)
        return x * keep / (1 - self.p)


def subset_residual(x: torch.Tensor, branch: Callable[[torch.Tensor], torch.Tensor],
                    p: float) -> torch.Tensor:
    """DINOv2's batch-subset stochastic depth: ``x + B/K · branch(x[kept])`` on K kept samples.

    ``K = max(⌊B·(1 − p)⌋, 1)`` samples, drawn by ``torch.randperm``, go through the residual
    branch; its output is ``index_add``-ed back scaled by ``B/K``, the others pass unchanged.
    Same expectation as per-sample Bernoulli dropping, a fixed K per step, and the branch
    costs K/B of the dense FLOPs. x: (B, L, D) → (B, L, D).
    """
    b, n, d = x.shape
    return subset_residual_groups(
        [x], lambda t, groups: branch(t.view(groups[0][0], n, d)).flatten(0, 1), p)[0]


def subset_residual_groups(xs: Sequence[torch.Tensor], branch: GroupBranch,
                           p: float) -> list[torch.Tensor]:
    """:func:`subset_residual` for several groups in ONE branch call (DINOv2's nested path).

    Per group (B_g, L_g, D) a kept subset of ``K_g = max(⌊B_g·(1 − p)⌋, 1)`` samples is drawn
    (one ``randperm`` per group, in group order, before the branch runs, as the official
    ``drop_add_residual_stochastic_depth_list``); the kept sequences of all groups are
    concatenated into (Σ K_g·L_g, D) tokens and passed to ``branch(tokens, [(K_g, L_g)])``;
    each group's part is ``index_add``-ed back scaled by ``B_g / K_g``.
    """
    kept = [torch.randperm(x.shape[0], device=x.device)[:max(int(x.shape[0] * (1 - p)), 1)]
            for x in xs]
    groups = [(len(index), x.shape[1]) for x, index in zip(xs, kept)]
    residual = branch(torch.cat([x[index].flatten(0, 1) for x, index in zip(xs, kept)]), groups)
    out = []
    for x, index, part in zip(xs, kept, residual.split([b * n for b, n in groups])):
        out.append(torch.index_add(x.flatten(1), 0, index, part.reshape(len(index), -1).to(
            x.dtype), alpha=x.shape[0] / len(index)).view_as(x))
    return out


class LayerScale(nn.Module):
    """Per-channel learnable scale of a residual branch (CaiT); ``gamma`` has shape (D,)."""

    def __init__(self, dim: int, init_value: float) -> None:
        super().__init__()
        self.gamma = nn.Parameter(torch.full((dim,), float(init_value)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(..., D) → (..., D)."""
        return x * self.gamma


class Attention(nn.Module):
    """Multi-head self-attention through ``F.scaled_dot_product_attention``.

    SDPA picks the flash / memory-efficient kernel when the device and dtype allow, so a
    shorter (sparse) sequence directly costs less time and memory. ``fused=False`` computes
    ``softmax(q kᵀ / √d) v`` with explicit matmuls instead, materializing the (B, heads, L, L)
    attention matrix: the reference that benchmarks compare the fused kernels against.
    """

    def __init__(self, dim: int, num_heads: int, qkv_bias: bool = True,
                 attn_drop: float = 0.0, proj_drop: float = 0.0, fused: bool = True) -> None:
        super().__init__()
        if dim % num_heads:
            raise ValueError(f'Attention: embed dim {dim} is not divisible by {num_heads} heads')
        self.num_heads = num_heads
        self.attn_drop = attn_drop
        self.fused = fused
        self.qkv = nn.Linear(dim, dim * 3, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim)
        self.proj_drop = nn.Dropout(proj_drop)

    def forward(self, x: torch.Tensor, groups: Groups | None = None) -> torch.Tensor:
        """(B, L, D) → (B, L, D); or, with ``groups`` [(B_g, L_g)], (N, D) tokens of several
        groups of sequences concatenated (N = Σ B_g·L_g) → (N, D), attention within each
        sequence: the qkv and output projections run once over all groups."""
        d = x.shape[-1]
        qkv = self.qkv(x)
        if groups is None:
            return self.proj_drop(self.proj(self._attend(qkv, *x.shape[:2])))
        parts = qkv.split([b * n for b, n in groups])
        out = torch.cat([self._attend(part, b, n).flatten(0, 1)
                         for part, (b, n) in zip(parts, groups)])
        return self.proj_drop(self.proj(out.view(-1, d)))

    def _attend(self, qkv: torch.Tensor, b: int, n: int) -> torch.Tensor:
        """qkv of B sequences of L tokens (B·L·3D values) → attention output (B, L, D)."""
        d = qkv.shape[-1] // 3
        qkv = qkv.reshape(b, n, 3, self.num_heads, d // self.num_heads)
        q, k, v = qkv.permute(2, 0, 3, 1, 4).unbind(0)  # each (B, heads, L, D/heads)
        drop = self.attn_drop if self.training else 0.0
        if self.fused:
            x = F.scaled_dot_product_attention(q, k, v, dropout_p=drop)
        else:
            weights = (q * q.shape[-1] ** -0.5) @ k.transpose(-2, -1)
            x = F.dropout(weights.softmax(dim=-1), drop) @ v
        return x.transpose(1, 2).reshape(b, n, d)


class Mlp(nn.Module):
    """Two-layer feed-forward network ``fc1 → GELU → fc2``."""

    def __init__(self, dim: int, hidden_dim: int, drop: float = 0.0) -> None:
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden_dim)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden_dim, dim)
        self.drop = nn.Dropout(drop)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(..., D) → (..., D)."""
        return self.drop(self.fc2(self.drop(self.act(self.fc1(x)))))


class Block(nn.Module):
    """Pre-norm transformer block: ``x + ls1(attn(norm1(x)))`` then ``x + ls2(mlp(norm2(x)))``.

    Args:
        dim: token width D.
        num_heads: attention heads.
        mlp_ratio: hidden width of the MLP as a multiple of D.
        qkv_bias: bias in the qkv projection (DINOv2: True).
        layer_scale_init_value: initial LayerScale value; ``None`` or 0 disables LayerScale
            (then the checkpoint has no ``ls1``/``ls2`` keys, as in DINOv2).
        drop_path: stochastic-depth probability of this block.
        drop: dropout after the MLP and the attention projection.
        attn_drop: dropout on attention weights.
        fused_attn: attention through ``F.scaled_dot_product_attention`` (see
            :class:`Attention`).
        drop_path_mode: ``'subset'`` (official DINOv2 / PerA ``Block``): above a rate of 0.1
            the branch runs only on ``⌊B·(1 − p)⌋`` random samples and is added back scaled
            (:func:`subset_residual`); at 0 < p ≤ 0.1 each sample's branch is dropped by a
            Bernoulli draw, as DINOv2 does there. ``'mask'`` (eossl option): always the
            per-sample Bernoulli :class:`DropPath` (every sample computes the branch).
    """

    def __init__(self, dim: int, num_heads: int, mlp_ratio: float = 4.0, qkv_bias: bool = True,
                 layer_scale_init_value: float | None = 1e-5, drop_path: float = 0.0,
                 drop: float = 0.0, attn_drop: float = 0.0, fused_attn: bool = True,
                 drop_path_mode: str = 'subset') -> None:
        super().__init__()
        if drop_path_mode not in DROP_PATH_MODES:
            raise ValueError(f'Block: drop_path_mode "{drop_path_mode}" not in {DROP_PATH_MODES}')
        self.drop_path_mode = drop_path_mode
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = Attention(dim, num_heads, qkv_bias, attn_drop, drop, fused=fused_attn)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = Mlp(dim, int(dim * mlp_ratio), drop)
        use_ls = bool(layer_scale_init_value)
        self.ls1 = LayerScale(dim, layer_scale_init_value) if use_ls else nn.Identity()
        self.ls2 = LayerScale(dim, layer_scale_init_value) if use_ls else nn.Identity()
        self.drop_path = DropPath(drop_path)

    def forward(self, x: torch.Tensor | list[torch.Tensor]
                ) -> torch.Tensor | list[torch.Tensor]:
        """(B, L, D) → (B, L, D) for any sequence length L; a list of such groups (different
        B_g, L_g) → the list of outputs, computed in one call (:meth:`forward_groups`)."""
        if isinstance(x, list):
            return self.forward_groups(x)
        p = self.drop_path.p
        if self.training and self.drop_path_mode == 'subset' and p > 0.1:
            x = subset_residual(x, lambda t: self.ls1(self.attn(self.norm1(t))), p)
            return subset_residual(x, lambda t: self.ls2(self.mlp(self.norm2(t))), p)
        x = x + self.drop_path(self.ls1(self.attn(self.norm1(x))))
        return x + self.drop_path(self.ls2(self.mlp(self.norm2(x))))

    def forward_groups(self, xs: list[torch.Tensor]) -> list[torch.Tensor]:
        """Groups (B_g, L_g, D) of different sizes through one call per layer (DINOv2 /
        PerA ``NestedTensorBlock``): tokens of all groups are concatenated for the norms,
        projections and MLP; attention stays within each sequence (:class:`Attention`).

        Drop path in ``'subset'`` mode follows the official nested path: the batch subset
        (:func:`subset_residual_groups`) for every rate > 0. In ``'mask'`` mode each sample's
        branch is dropped by a Bernoulli draw as in :meth:`forward`.
        """
        p = self.drop_path.p

        def attn(t: torch.Tensor, groups: Groups) -> torch.Tensor:
            return self.ls1(self.attn(self.norm1(t), groups))

        def mlp(t: torch.Tensor, groups: Groups) -> torch.Tensor:
            return self.ls2(self.mlp(self.norm2(t)))

        if self.training and self.drop_path_mode == 'subset' and p > 0:
            return subset_residual_groups(subset_residual_groups(xs, attn, p), mlp, p)
        groups = [(x.shape[0], x.shape[1]) for x in xs]
        x = torch.cat([x.flatten(0, 1) for x in xs])
        x = x + self._drop_groups(attn(x, groups), groups)
        x = x + self._drop_groups(mlp(x, groups), groups)
        return [part.view(b, n, -1) for part, (b, n) in zip(x.split([b * n for b, n in groups]),
                                                            groups)]

    def _drop_groups(self, residual: torch.Tensor, groups: Groups) -> torch.Tensor:
        """Per-sample Bernoulli drop path of concatenated (N, D) residuals of ``groups``."""
        if self.drop_path.p == 0.0 or not self.training:
            return residual
        parts = residual.split([b * n for b, n in groups])
        return torch.cat([self.drop_path(part.view(b, n, -1)).flatten(0, 1)
                          for part, (b, n) in zip(parts, groups)])


class PatchEmbed(nn.Module):
    """Non-overlapping patch projection ``proj`` (a strided conv) for any band count.

    (B, C, H, W) → (B, N, D) with N = (H / p) · (W / p), row-major over the patch grid.
    """

    def __init__(self, in_channels: int, dim: int, patch_size: int) -> None:
        super().__init__()
        self.patch_size = patch_size
        self.proj = nn.Conv2d(in_channels, dim, kernel_size=patch_size, stride=patch_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C, H, W) → (B, N, D)."""
        return self.proj(x).flatten(2).transpose(1, 2)
