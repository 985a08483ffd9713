"""Measurement helpers shared by the benchmarks: device, timing, memory, FLOPs, results files.

Conventions every benchmark follows:

- Timings are medians over ``iters`` calls after ``warmup`` untimed ones, with the device
  synchronised around each call; cases compared with each other are interleaved call by call,
  so that load from other processes on a shared machine hits them alike.
- Peak memory is CUDA ``max_memory_allocated`` on a GPU, else the peak resident set size of a
  fresh process (``ru_maxrss``); both are measured in a process of their own.
- FLOPs are counted with ``torch.utils.flop_counter`` on the real step: matmuls, convolutions
  and attention, forward and backward separately, 2 FLOPs per multiply-accumulate.
- Results go to ``benchmarks/results/<name>_<device tag>.json`` with the environment.
"""
import json
import math
import multiprocessing as mp
import os
import platform
import re
import resource
import statistics
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import torch
from torch.utils.flop_counter import FlopCounterMode

RESULTS = Path(__file__).resolve().parent / 'results'


def pick_device(name: str = 'auto') -> torch.device:
    """``'auto'`` → the first CUDA device if there is one, else the CPU."""
    if name == 'auto':
        name = 'cuda' if torch.cuda.is_available() else 'cpu'
    return torch.device(name)


def device_name(device: torch.device) -> str:
    """The GPU's name, or the CPU model from ``/proc/cpuinfo`` (the architecture elsewhere)."""
    if device.type == 'cuda':
        return torch.cuda.get_device_name(device)
    try:
        cpuinfo = Path('/proc/cpuinfo').read_text()
        return re.search(r'model name\s*:\s*(.+)', cpuinfo).group(1).strip()
    except (OSError, AttributeError):
        return platform.processor() or platform.machine()


def device_tag(device: torch.device) -> str:
    """Short file-name tag: ``cpu`` or the GPU name in lower snake case."""
    return 'cpu' if device.type == 'cpu' else re.sub(r'\W+', '_', device_name(device)).lower()


def environment(device: torch.device) -> dict:
    """What a reader needs to compare numbers: hardware, threads, load, software versions."""
    source = RESULTS.parent  # this checkout, unless the eossl measured is another one
    try:
        import eossl
        checkout = Path(eossl.__file__).resolve().parents[1]
        if (checkout / '.git').exists():  # not an installed wheel in site-packages
            source = checkout
    except ImportError:
        pass
    try:
        commit = subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], capture_output=True,
                                text=True, cwd=source, check=True).stdout.strip()
        if subprocess.run(['git', 'status', '--porcelain', '--untracked-files=no'],
                          capture_output=True, text=True, cwd=source, check=True).stdout:
            commit += '+uncommitted changes'
    except (OSError, subprocess.CalledProcessError):
        commit = None
    return dict(device=device.type, device_name=device_name(device), torch=torch.__version__,
                cpu_count=os.cpu_count(), torch_threads=torch.get_num_threads(),
                load_average=[round(v, 2) for v in os.getloadavg()], git_commit=commit,
                eossl_source=str(source))


def synchronize(device: torch.device) -> None:
    """Wait for queued GPU work (a no-op on the CPU)."""
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def time_call(fn: Callable[[], object], device: torch.device) -> float:
    """Seconds of one call of ``fn``, device work included."""
    synchronize(device)
    start = time.perf_counter()
    fn()
    synchronize(device)
    return time.perf_counter() - start


def time_interleaved(calls: dict[str, Callable[[], object]], device: torch.device,
                     warmup: int, iters: int) -> dict[str, list[float]]:
    """Per case, the seconds of each of ``iters`` timed calls; cases alternate call by call."""
    times: dict[str, list[float]] = {key: [] for key in calls}
    for i in range(warmup + iters):
        for key, call in calls.items():
            elapsed = time_call(call, device)
            if i >= warmup:
                times[key].append(elapsed)
    return times


def median(values: list[float]) -> float:
    """Median (robust to the occasional step slowed by another process)."""
    return statistics.median(values)


def reset_peak_memory(device: torch.device) -> float:
    """Start a peak-memory measurement; returns the current baseline in MiB."""
    if device.type == 'cuda':
        synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)
        return torch.cuda.memory_allocated(device) / 2 ** 20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def peak_memory_mib(device: torch.device) -> tuple[float, str]:
    """``(peak MiB, what was measured)``: CUDA max allocated, else the process's peak RSS."""
    if device.type == 'cuda':
        synchronize(device)
        return torch.cuda.max_memory_allocated(device) / 2 ** 20, 'cuda_max_allocated'
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 'peak_rss'


def in_fresh_process(fn: Callable, *args):
    """``fn(*args)`` in a spawned process: its own peak memory, no state from earlier runs."""
    with mp.get_context('spawn').Pool(1) as pool:
        return pool.apply(fn, args)


def dense_gemm_flops_per_s(device: torch.device, dtype: torch.dtype = torch.float32,
                           n: int | None = None, iters: int = 5) -> dict:
    """FLOP/s of an ``n × n`` by ``n × n`` matmul (``2 n³`` FLOPs): the device's practical
    peak, to which a model's achieved FLOP/s is compared. Default ``n``: 2048 on the CPU,
    8192 on a GPU (large enough to saturate either)."""
    n = n or (8192 if device.type == 'cuda' else 2048)
    a = torch.randn(n, n, device=device, dtype=dtype)
    b = torch.randn(n, n, device=device, dtype=dtype)
    seconds = time_interleaved({'gemm': lambda: a @ b}, device, warmup=2, iters=iters)['gemm']
    return dict(n=n, dtype=str(dtype).replace('torch.', ''),
                flops_per_s=2 * n ** 3 / median(seconds))


def _conv_backward_flops(grad_out_shape: list[int], x_shape: list[int], w_shape: list[int],
                         _bias, _stride, _padding, _dilation, transposed: bool, _output_padding,
                         _groups, output_mask: list[bool], out_shape=None, **kwargs) -> int:
    """FLOPs of ``aten.convolution_backward``: each requested gradient (input, weight) costs
    one forward convolution, ``2 · (output elements) · (weight elements per output channel)``.

    Replaces torch's formula (2.14), which ignores ``groups`` and so counts a depthwise
    convolution's backward ``groups`` times (a ConvNeXt's backward came out 7× its forward).
    """
    elements = math.prod(x_shape if transposed else grad_out_shape)
    return 2 * elements * math.prod(w_shape[1:]) * (int(output_mask[0]) + int(output_mask[1]))


def count_flops(forward: Callable[[], torch.Tensor]) -> dict:
    """FLOPs of ``forward()`` (returning a scalar loss) and of its backward, counted on the
    executed operators. Where no gradient flows (an EMA teacher, a frozen first layer's input
    gradient) there is no backward work, so ``backward / forward`` is often below the usual
    rule of thumb of 2."""
    mapping = {torch.ops.aten.convolution_backward: _conv_backward_flops}
    counter = FlopCounterMode(display=False, custom_mapping=mapping)
    with counter:
        loss = forward()
    forward_flops = counter.get_total_flops()
    counter = FlopCounterMode(display=False, custom_mapping=mapping)
    with counter:
        loss.backward()
    return dict(forward=forward_flops, backward=counter.get_total_flops())


def write_results(name: str, device: torch.device, payload: dict) -> Path:
    """Write ``payload`` plus the environment to ``results/<name>_<device tag>.json``."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f'{name}_{device_tag(device)}.json'
    path.write_text(json.dumps(dict(environment=environment(device), **payload), indent=2) + '\n')
    return path
