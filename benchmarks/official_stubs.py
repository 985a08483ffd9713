"""Import-time stand-ins for the CUDA-only or logging-only packages the official code imports.

``official_vs_eossl.py`` runs the official repositories on this CPU. Their model code is used as
it is; only third-party packages that cannot be installed here are replaced, by small packages
written to a temporary folder put first on ``sys.path``:

- ``xformers`` (PerA / DINOv2 blocks): ``memory_efficient_attention`` computed with torch's
  ``scaled_dot_product_attention``; ``fmha.BlockDiagonalMask`` attends within each concatenated
  sequence (one SDPA call per run of equal-length sequences) and ``split`` s a concatenated
  ``(1, sum(L_i), D)`` tensor back the way xformers does (by ``_batch_sizes`` when set).
  PerA always feeds lists of crops to its blocks, which refuse lists without xformers.
- ``MinkowskiEngine`` / ``MinkowskiOps`` (MMEarth): names only, so ``models/fcmae.py`` imports;
  constructing anything raises (the sparse encoder cannot run; the dense path never does).
- ``wandb`` and ``torch.utils.tensorboard`` (SSLTransformerRS): logging no-ops.
"""
import sys
import tempfile
import types
from pathlib import Path

XFORMERS = {
    'xformers/__init__.py': "__version__ = '0+eossl-cpu-stand-in'\n",
    'xformers/ops/__init__.py': '''
import torch
import torch.nn.functional as F

from . import fmha


def unbind(x, dim):
    return torch.unbind(x, dim)


def memory_efficient_attention(query, key, value, attn_bias=None, p=0.0, scale=None):
    """xformers layout (B, M, H, K) in and out."""
    if attn_bias is not None:
        return attn_bias.attend(query, key, value, p, scale)
    q, k, v = (t.transpose(1, 2) for t in (query, key, value))
    return F.scaled_dot_product_attention(q, k, v, dropout_p=p, scale=scale).transpose(1, 2)


def _fp16_cuda_only(*args, **kwargs):
    raise NotImplementedError('xformers stand-in: this fp16 CUDA kernel is not available')


scaled_index_add = index_select_cat = _fp16_cuda_only
''',
    'xformers/ops/fmha.py': '''
import itertools

import torch
import torch.nn.functional as F


class BlockDiagonalMask:
    """Attention restricted to each of several sequences concatenated along dim 1 (batch 1)."""

    def __init__(self, seqlens):
        self.seqlens = [int(n) for n in seqlens]
        self._batch_sizes = None

    @classmethod
    def from_seqlens(cls, q_seqlen, kv_seqlen=None):
        if kv_seqlen is not None and list(kv_seqlen) != list(q_seqlen):
            raise NotImplementedError('xformers stand-in: q and kv sequence lengths must agree')
        return cls(q_seqlen)

    def attend(self, q, k, v, p, scale):
        heads = q.shape[2]
        out, start = [], 0
        for length, group in itertools.groupby(self.seqlens):
            n = len(list(group))
            part = slice(start, start + n * length)
            qq, kk, vv = (t[0, part].reshape(n, length, heads, -1).transpose(1, 2)
                          for t in (q, k, v))
            o = F.scaled_dot_product_attention(qq, kk, vv, dropout_p=p, scale=scale)
            out.append(o.transpose(1, 2).reshape(n * length, heads, -1))
            start += n * length
        return torch.cat(out).unsqueeze(0)

    def split(self, tensor):
        if self._batch_sizes is None:
            return list(tensor.split(self.seqlens, dim=1))
        out, start, first = [], 0, 0
        for b in self._batch_sizes:
            length = self.seqlens[first]
            out.append(tensor[:, start:start + b * length].reshape(b, length, *tensor.shape[2:]))
            start, first = start + b * length, first + b
        return out
''',
}

MINKOWSKI = {
    'MinkowskiEngine/__init__.py': '''
class _Missing:
    def __init__(self, *args, **kwargs):
        raise RuntimeError('MinkowskiEngine stand-in: the sparse FCMAE encoder cannot run here')


MinkowskiConvolution = MinkowskiDepthwiseConvolution = MinkowskiLinear = _Missing
MinkowskiGELU = SparseTensor = _Missing
''',
    'MinkowskiOps/__init__.py': '''
def to_sparse(*args, **kwargs):
    raise RuntimeError('MinkowskiEngine stand-in: the sparse FCMAE encoder cannot run here')
''',
}

WANDB = {'wandb/__init__.py': 'config = {}\n\n\ndef init(*a, **k):\n    pass\n\n\nlog = init\n'}

PACKAGES = {'xformers': XFORMERS, 'MinkowskiEngine': MINKOWSKI, 'wandb': WANDB}


def install(names: list[str]) -> Path:
    """Write the named stand-ins to a temporary folder and put it first on ``sys.path``."""
    unknown = sorted(set(names) - set(PACKAGES) - {'tensorboard'})
    if unknown:
        raise ValueError(f'official_stubs.install: no stand-in for {unknown}; '
                         f'known: {sorted(PACKAGES)} and tensorboard')
    root = Path(tempfile.mkdtemp(prefix='official-stubs-'))
    for name in names:
        for rel, text in PACKAGES.get(name, {}).items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text.lstrip())
    sys.path.insert(0, str(root))
    if 'tensorboard' in names:
        _stub_tensorboard()
    return root


def _stub_tensorboard() -> None:
    """``torch.utils.tensorboard.SummaryWriter`` as a no-op when tensorboard is not installed."""
    try:
        import torch.utils.tensorboard  # noqa: F401
    except ImportError:
        module = types.ModuleType('torch.utils.tensorboard')
        module.SummaryWriter = type('SummaryWriter', (), {
            '__init__': lambda self, *a, **k: None, '__getattr__': lambda self, n: _noop})
        sys.modules['torch.utils.tensorboard'] = module


def _noop(*args, **kwargs) -> None:
    return None
