"""Which mixed-precision dtype a device computes natively, decided without touching a GPU.

``--amp`` picks the autocast dtype per device: bf16 on CUDA GPUs of compute capability ≥ 8.0
(A100, H100, ...), fp16 on older GPUs (V100, T4: their bf16 is emulated, so
``torch.cuda.is_bf16_supported()`` says yes by default, and it allocates on the *current*
device, ``cuda:0`` in every rank before the launcher selected one), and bf16 on CPUs with bf16
matrix instructions (AVX512-BF16 or AMX-BF16). On other CPUs bf16 autocast is emulated and
slower than fp32, so :func:`autocast_dtype` returns ``None`` and the caller says so.

:func:`enable_tf32` is the named option for TF32 tensor-core matmuls and convolutions in the
fp32 parts of a step (off by default in torch for matmuls).
"""
import os
from contextlib import AbstractContextManager, nullcontext

import torch
from mmengine.config import Config


def cpu_bf16_instructions() -> list[str]:
    """Names of this CPU's bf16 matrix instruction sets (``['AMX-BF16', 'AVX512-BF16']``, or
    fewer; always empty off x86)."""
    found = []
    if getattr(torch.cpu, '_is_amx_tile_supported', lambda: False)():
        found.append('AMX-BF16')
    if getattr(torch.cpu, '_is_avx512_bf16_supported', lambda: False)():
        found.append('AVX512-BF16')
    return found


def cuda_device_index() -> int:
    """The CUDA device this process uses: ``LOCAL_RANK`` modulo the visible devices (so ranks
    sharing one GPU all name it), without creating a context on any device."""
    count = torch.cuda.device_count()
    return int(os.environ.get('LOCAL_RANK', 0)) % max(count, 1)


def autocast_dtype(device_type: str) -> torch.dtype | None:
    """The autocast dtype for ``device_type`` ('cuda' or 'cpu'), or ``None`` where mixed
    precision would be emulated (a CPU without bf16 instructions).

    CUDA: bf16 from compute capability 8.0, else fp16 (read from the device properties of
    :func:`cuda_device_index`, which allocate nothing).
    """
    if device_type == 'cuda':
        major, _ = torch.cuda.get_device_capability(cuda_device_index())
        return torch.bfloat16 if major >= 8 else torch.float16
    if device_type == 'cpu':
        return torch.bfloat16 if cpu_bf16_instructions() else None
    raise ValueError(f'autocast_dtype: device type must be "cuda" or "cpu", got {device_type!r}')


def enable_tf32(enabled: bool = True) -> None:
    """Let fp32 matmuls and cuDNN convolutions use TF32 tensor cores (10-bit mantissa inputs,
    fp32 accumulation; ~2× the fp32 rate on Ampere and later). No effect on CPUs."""
    torch.backends.cuda.matmul.allow_tf32 = enabled
    torch.backends.cudnn.allow_tf32 = enabled


def apply_amp(cfg: Config, device_type: str) -> list[str]:
    """``--amp``: train ``cfg`` under autocast on ``device_type``; return the changes made.

    The optimizer wrapper becomes :class:`~eossl.engine.optim_wrapper.EOOptimWrapper` with the
    device's :func:`autocast_dtype` (a recipe's own ``optim_wrapper.dtype`` wins). An FSDP
    recipe also gets a mixed-precision policy unless it sets one: parameters gathered in that
    dtype, gradients reduced and buffers kept in fp32 (the sharded master weights, the
    optimizer and the EMA teacher update stay fp32). On a CPU without bf16 instructions nothing
    changes and the one entry says why (the run trains in fp32).
    """
    dtype = autocast_dtype(device_type)
    if dtype is None:
        return ['--amp ignored: this CPU has no bf16 matrix instructions (AVX512-BF16 or '
                'AMX-BF16), so bf16 autocast would be emulated and slower than fp32; this run '
                'trains in fp32']
    name = str(dtype).removeprefix('torch.')
    wrapper = cfg.optim_wrapper
    changes = [f"optim_wrapper.type: {wrapper.get('type', 'OptimWrapper')!r} -> "
               "'EOOptimWrapper' (autocast on this device)"]
    wrapper.type = 'EOOptimWrapper'
    if 'dtype' not in wrapper:
        wrapper.dtype = name
        changes.append(f'optim_wrapper.dtype: {name} ({device_type})')
    strategy = cfg.get('strategy') or {}
    if strategy.get('type') == 'FSDPStrategy':
        wrapper.setdefault('use_fsdp', True)
        model_wrapper = strategy.setdefault('model_wrapper', {})
        if model_wrapper.get('mixed_precision') is None:
            model_wrapper['mixed_precision'] = dict(
                param_dtype=wrapper.dtype, reduce_dtype='float32', buffer_dtype='float32')
            changes.append(f'strategy.model_wrapper.mixed_precision: None -> '
                           f'{model_wrapper["mixed_precision"]}')
    return changes


def inference_autocast(device: torch.device, enabled: bool) -> AbstractContextManager:
    """The autocast region of ``--amp`` inference on ``device`` (a no-op when not enabled).

    Raises:
        RuntimeError: ``enabled`` on a CPU without bf16 instructions (emulated bf16 would be
            slower than fp32), saying so.
    """
    if not enabled:
        return nullcontext()
    dtype = autocast_dtype(device.type)
    if dtype is None:
        raise RuntimeError('--amp: this CPU has no bf16 matrix instructions (AVX512-BF16 or '
                           'AMX-BF16); bf16 would be emulated and slower than fp32: drop --amp')
    return torch.autocast(device.type, dtype=dtype)
