"""Run a test function on several CPU ranks joined by a gloo process group."""
import socket
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import torch
import torch.distributed as dist
import torch.multiprocessing as mp


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def _rank_entry(rank: int, world: int, port: int, worker: Callable, args: tuple) -> None:
    # libgomp's thread pool does not survive fork: a child that enters a parallel region the
    # parent already used hangs forever, so each rank computes on one thread.
    torch.set_num_threads(1)
    dist.init_process_group('gloo', init_method=f'tcp://127.0.0.1:{port}', rank=rank,
                            world_size=world, timeout=timedelta(seconds=60))
    try:
        worker(rank, world, *args)
    finally:
        dist.destroy_process_group()


def run_on_ranks(worker: Callable[..., None], world: int, *args: Any) -> None:
    """Call ``worker(rank, world, *args)`` in ``world`` forked processes inside a process group.

    Fork, not spawn: workers inherit the imported modules instead of re-importing torch, mmengine
    and eossl (seconds per process). A failing rank fails the test.
    """
    mp.start_processes(_rank_entry, args=(world, free_port(), worker, args), nprocs=world,
                       start_method='fork')
