"""Batch memory that a DataLoader worker reuses once the kernel proves no one else can see it.

Inside a worker, torch's ``default_collate`` stacks a batch into *new* shared memory, which the
worker then hands to the training process by passing its file descriptor. The kernel faults in
and zeroes every 4 KiB page of that memory on first write: for PerA's packed uint16 tiles
(1.8 MB per sample) ~450 page faults and ~0.7–0.9 ms of CPU per sample on a 2-vCPU VM, more
than reading, checking and drawing the sample together. Writing into memory that was already
written avoids it (~0.15 ms per tile), but only when no tensor anywhere still views that
memory, and torch's DataLoader gives no signal when the training process is done with a batch.

The proof used here comes from the kernel. Each pooled buffer is a shared-memory file that the
worker keeps open once (its own *open file description*, through which it writes). Each batch
is handed over through a second, new description of the same file (``open`` of
``/proc/self/fd/N``), and torch's sharing passes on exactly that description: the training
process's descriptor, its memory mapping (a mapping holds its description) and any process it
passes the tensor on to all hold it, as does a descriptor still in flight between processes.
The kernel grants a write lease (``fcntl(F_SETLEASE, F_WRLCK)``) on the worker's own
description only while the file has no other writable description anywhere, so a granted
lease proves that every tensor of every earlier batch from that buffer is gone. The worker
takes and drops such a lease before it writes a batch into a pooled buffer; a buffer whose
lease is refused is not touched. (What the lease cannot see: someone opening the worker's
buffer read-only through ``/proc/<pid>/fd`` — Linux counts read-only opens only with IMA;
torch never does that, it passes the description it was given.) Where leases do not behave
so (checked once per worker, on a new buffer: granted while alone, refused once a second
description is open) or outside Linux, nothing is pooled and every batch gets new shared
memory as with torch; likewise under torch's ``file_system`` sharing strategy, whose storages
are not handed over by descriptor.
"""
import math
import os
from collections.abc import Callable
from typing import Any, TypeAlias

import torch
from torch.multiprocessing import get_sharing_strategy

try:
    import fcntl
except ImportError:  # not a POSIX system: nothing is pooled
    fcntl = None
F_SETLEASE = getattr(fcntl, 'F_SETLEASE', None)
CAPACITY = 5  # pooled buffers per worker and batch size (see SharedBatchPool)


def _unshared(fd: int) -> bool:
    """True when the kernel grants (then drops) a write lease on ``fd``: no other open file
    description of the file exists in any process."""
    try:
        fcntl.fcntl(fd, F_SETLEASE, fcntl.F_WRLCK)
    except OSError:
        return False
    fcntl.fcntl(fd, F_SETLEASE, fcntl.F_UNLCK)
    return True


def _second_description(fd: int) -> int:
    """A new open file description (read-write) of the file open as ``fd``."""
    return os.open(f'/proc/self/fd/{fd}', os.O_RDWR | os.O_CLOEXEC)


class SharedBatchPool:
    """Up to ``capacity`` shared-memory buffers per batch size, reused by one process when
    the kernel proves a buffer unshared (see the module docstring).

    Args:
        capacity: buffers kept per size in bytes; when all are still held, the batch gets new
            shared memory (as without the pool). The default 5 covers what is in flight with
            the DataLoader's ``prefetch_factor=2``: the batch being written, the next one
            queued, one being received (its descriptor passes through a sharer thread of the
            worker), the one the training process holds and the one it is dropping (with 3
            or 4, a fast worker missed now and then on the benchmark VM). It is also what the
            pool keeps: 5 batches of shared memory per worker for its lifetime (PerA's recipe
            batch of 64 packed tiles: 5 × 116 MB, 4.6 GB for 8 workers).
    """

    def __init__(self, capacity: int = CAPACITY) -> None:
        self.capacity = capacity
        self.buffers: dict[int, list[tuple[torch.UntypedStorage, int]]] = {}
        self.enabled = (F_SETLEASE is not None and os.path.isdir('/proc/self/fd')
                        and get_sharing_strategy() == 'file_descriptor')
        self.checked = False

    def _new_buffer(self, nbytes: int) -> tuple[torch.UntypedStorage, int] | None:
        """A new pooled buffer ``(storage mapped through the kept description, its fd)``, or
        None (and the pool disabled) when leases do not prove sharing on this system."""
        storage = torch.UntypedStorage._new_shared(nbytes)
        fd = storage._share_fd_cpu_()[0]
        if not self.checked:
            self.checked = True
            try:
                alone = _unshared(fd)
                other = _second_description(fd)
                try:
                    self.enabled = alone and not _unshared(fd)
                finally:
                    os.close(other)
            except OSError:
                self.enabled = False
            if not self.enabled:
                return None
        return storage, fd

    def _free_buffer(self, nbytes: int) -> tuple[torch.UntypedStorage, int] | None:
        """A pooled buffer of ``nbytes`` that no one else can see, or None."""
        pool = self.buffers.setdefault(nbytes, [])
        for buffer in pool:
            if _unshared(buffer[1]):
                return buffer
        if len(pool) < self.capacity:
            buffer = self._new_buffer(nbytes)
            if buffer is not None:
                pool.append(buffer)
            return buffer
        return None

    def take(self, nbytes: int) -> tuple[torch.Tensor, torch.Tensor] | None:
        """A free pooled buffer of ``nbytes`` as two flat ``uint8`` tensors of the same memory:
        one to write through (the kept mapping, its pages faulted in already) and one on a new
        description of it, to hand over; None when the pool is disabled or every buffer of
        that size is still held (the caller then takes new shared memory)."""
        buffer = self._free_buffer(nbytes) if self.enabled and nbytes else None
        if buffer is None:
            return None
        storage, fd = buffer
        handed = _second_description(fd)
        try:
            shared = torch.UntypedStorage._new_shared_fd_cpu(handed, nbytes)
        finally:
            os.close(handed)  # torch keeps its own duplicate of the description
        flat = torch.empty(0, dtype=torch.uint8)
        return flat.set_(storage, 0, (nbytes, )), torch.empty(0, dtype=torch.uint8).set_(
            shared, 0, (nbytes, ))


_POOL: tuple[int, SharedBatchPool] | None = None


def batch_memory(nbytes: int, capacity: int = CAPACITY) -> tuple[torch.Tensor, torch.Tensor]:
    """Shared memory for a batch of ``nbytes`` in this DataLoader worker, as ``(written,
    handed)`` flat ``uint8`` tensors of the same memory (see :meth:`SharedBatchPool.take`):
    a buffer of the worker's pool of ``capacity`` buffers per size when one is free, else
    new shared memory (``written is handed``; ``capacity=0``: always, as torch does)."""
    global _POOL
    if _POOL is None or _POOL[0] != os.getpid() or _POOL[1].capacity != capacity:
        _POOL = (os.getpid(), SharedBatchPool(capacity))
    taken = _POOL[1].take(nbytes) if capacity > 0 else None
    if taken is not None:
        return taken
    fresh = torch.empty(0, dtype=torch.uint8).set_(torch.UntypedStorage._new_shared(nbytes),
                                                   0, (nbytes, ))
    return fresh, fresh


# ('dict', keys, layouts) | ('list', layouts) | ('tensor', byte offset, dtype, shape)
Layout: TypeAlias = tuple
ALIGN = 64  # bytes between the starts of two tensors in the packed storage


def _layout(value: object, offset: int) -> tuple[Layout, int]:
    """The layout of a nested dict / list of tensors packed from byte ``offset`` on, and the
    offset after it."""
    if isinstance(value, dict):
        parts = []
        for item in value.values():
            part, offset = _layout(item, offset)
            parts.append(part)
        return ('dict', list(value), parts), offset
    if isinstance(value, (list, tuple)):
        parts = []
        for item in value:
            part, offset = _layout(item, offset)
            parts.append(part)
        return ('list', parts), offset
    if not isinstance(value, torch.Tensor) or value.device.type not in ('cpu', 'meta') \
            or value.layout != torch.strided:
        raise TypeError(f'only dicts and lists of CPU (or meta) tensors can be packed, '
                        f'got {type(value)}')
    start = -(-offset // ALIGN) * ALIGN
    return ('tensor', start, value.dtype, tuple(value.shape)), start + value.nbytes


def _views(flat: torch.Tensor, layout: Layout) -> Any:
    """The nested dict / list of tensors that ``layout`` describes, as views of ``flat``."""
    if layout[0] == 'dict':
        return {key: _views(flat, part) for key, part in zip(layout[1], layout[2])}
    if layout[0] == 'list':
        return [_views(flat, part) for part in layout[1]]
    _, start, dtype, shape = layout
    size = torch.empty(0, dtype=dtype).element_size() * math.prod(shape)
    if size == 0:
        return torch.empty(shape, dtype=dtype)
    return flat[start:start + size].view(dtype).view(shape)


class OneStorageBatch(dict):
    """A batch whose tensors (nested in dicts / lists) are views of one shared byte storage, and
    which crosses to another process as that one storage (one file descriptor) plus its other
    values (data samples) pickled as usual.

    torch shares every tensor handed from a DataLoader worker through its own descriptor, and
    each descriptor crosses by a connection to the worker's descriptor-sharing thread: for
    PerA's inputs and 39 index-set and view-parameter tensors per batch that cost ~0.15 ms of
    worker CPU per sample even as two storages, most of it in the worker's main loop slowed by
    the sharing threads' turns at the interpreter lock. Here a batch crosses as one; on the
    other side (unpickling) it is a plain ``dict``, its tensors views of that storage, equal
    in values, dtypes and shapes.

    Args:
        shapes: ``{key: nested dicts / lists of tensors}`` giving the shapes and dtypes of the
            tensors (``meta`` tensors do; their values are not read).
        write: called with the same nest of views of the storage, to fill them.
        memory: ``(written, handed)`` flat ``uint8`` tensors of at least the bytes needed
            (:func:`batch_memory`): filled through ``written``, handed over as ``handed``.
        others: the batch's other values (``data_samples``).
    """

    def __init__(self, shapes: dict, write: Callable[[dict], None],
                 memory: Callable[[int], tuple[torch.Tensor, torch.Tensor]],
                 others: dict) -> None:
        self.layout, nbytes = _layout(dict(shapes), 0)
        written, self.flat = memory(nbytes)
        write(_views(written, self.layout))
        self.others = dict(others)
        super().__init__({**_views(self.flat, self.layout), **self.others})

    def __reduce__(self) -> tuple:
        """Pickled as ``(flat storage, layout, other values)``; unpickled as a plain dict."""
        return _rebuild, (self.flat, self.layout, self.others)


def _rebuild(flat: torch.Tensor, layout: Layout, others: dict) -> dict:
    """The plain batch dict of a pickled :class:`OneStorageBatch`."""
    return {**_views(flat, layout), **others}


def copy_into(views: Any, values: Any) -> None:
    """Copy the tensors of ``values`` into the same-shaped nested ``views``."""
    if isinstance(views, dict):
        for key in views:
            copy_into(views[key], values[key])
    elif isinstance(views, list):
        for view, value in zip(views, values):
            copy_into(view, value)
    else:
        views.copy_(values)
