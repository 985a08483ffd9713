"""A pure-torch stand-in for the three xFormers operations PerA's nested ViT path executes.

The official PerA model runs its global and local crops as one list through DINOv2's
``NestedTensorBlock``, which only exists with xFormers (a CUDA library). The list path calls
``fmha.BlockDiagonalMask.from_seqlens`` / ``.split``, ``memory_efficient_attention`` and
``unbind``; ``index_select_cat`` and ``scaled_index_add`` are only reached for fp16 tensors whose
width is a multiple of 256 (the official wrappers fall back to torch otherwise), so here they
are import-only and raise if called. The stand-ins compute what xFormers documents: attention
restricted to each sequence of the concatenated batch, ``softmax(q kᵀ / √d) v``. Written for the
parity generator only (:mod:`eossl.parity.pera_step`); nothing here is xFormers code.
"""
import sys
import types

import torch


class BlockDiagonalMask:
    """Sequences of the given lengths concatenated along dim 1 attend only within themselves."""

    def __init__(self, seqlens: list[int]) -> None:
        self.seqlens = list(seqlens)
        self._batch_sizes: list[int] | None = None  # set by the official caller

    @classmethod
    def from_seqlens(cls, seqlens: list[int]) -> 'BlockDiagonalMask':
        """The mask of ``seqlens`` (one entry per sequence)."""
        return cls(seqlens)

    def split(self, x: torch.Tensor) -> list[torch.Tensor]:
        """(1, Σ b_g·n_g, ...) → per group (b_g, n_g, ...), groups of ``_batch_sizes``."""
        out, start = [], 0
        for b in self._batch_sizes:
            n = self.seqlens[start]
            out.append(x[:, sum(self.seqlens[:start]):sum(self.seqlens[:start + b])].reshape(
                b, n, *x.shape[2:]))
            start += b
        return out


def memory_efficient_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
                               attn_bias: BlockDiagonalMask | None = None) -> torch.Tensor:
    """(B, N, H, d) queries, keys, values → (B, N, H, d); with a ``BlockDiagonalMask``
    (B = 1) attention stays within each sequence."""
    def attend(q, k, v):  # (b, n, H, d) each
        q, k, v = (t.transpose(1, 2) for t in (q, k, v))
        weights = (q * q.shape[-1] ** -0.5) @ k.transpose(-2, -1)
        return (weights.softmax(-1) @ v).transpose(1, 2)

    if attn_bias is None:
        return attend(q, k, v)
    parts = [attend(*(t[:, s:s + n] for t in (q, k, v)))
             for s, n in zip(torch.tensor([0] + attn_bias.seqlens).cumsum(0).tolist(),
                             attn_bias.seqlens)]
    return torch.cat(parts, dim=1)


def _fp16_only(*args, **kwargs):
    raise RuntimeError('xFormers stand-in: this fp16 fused kernel is not reproduced')


def install() -> None:
    """Register ``xformers`` / ``xformers.ops`` / ``xformers.ops.fmha`` with the stand-ins."""
    fmha = types.ModuleType('xformers.ops.fmha')
    fmha.BlockDiagonalMask = BlockDiagonalMask  # type: ignore[attr-defined]
    ops = types.ModuleType('xformers.ops')
    ops.__dict__.update(fmha=fmha, memory_efficient_attention=memory_efficient_attention,
                        unbind=torch.unbind, index_select_cat=_fp16_only,
                        scaled_index_add=_fp16_only)
    package = types.ModuleType('xformers')
    package.ops = ops  # type: ignore[attr-defined]
    sys.modules.update({'xformers': package, 'xformers.ops': ops, 'xformers.ops.fmha': fmha})
