"""Losses compute in fp32 (or the fp64 of tests) even when autocast hands them bf16/fp16."""
import torch


def full_precision(x: torch.Tensor) -> torch.Tensor:
    """``x`` in fp32 when it is a half-precision tensor; fp32 and fp64 tensors unchanged."""
    return x.float() if x.dtype in (torch.float16, torch.bfloat16) else x
