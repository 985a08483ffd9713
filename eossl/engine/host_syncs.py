"""Count the operations of a code region that make the host wait for the accelerator.

A training step on a GPU runs ahead of the Python that launches it until something needs a
value on the host: ``.item()`` / ``int()`` / ``bool()`` of a tensor, a boolean-mask index or
``nonzero`` (the output size depends on the data), ``torch.equal``, a copy to the CPU. Each such
sync drains the launch queue. :class:`HostSyncCounter` sees them on any device, the CPU
included (where they cost nothing), so tests on CPU machines can hold a step to "no host
sync"; on a GPU, ``torch.cuda.set_sync_debug_mode`` reports the syncs the driver sees.
"""
from collections import Counter

import torch
from torch.utils._python_dispatch import TorchDispatchMode

# ops whose result the host must read, or whose output shape depends on tensor values
_SYNCING = {'_local_scalar_dense', 'nonzero', 'masked_select', 'equal', 'is_nonzero',
            'unique_dim', '_unique2', 'unique_consecutive', 'nonzero_static'}


class HostSyncCounter(TorchDispatchMode):
    """``with HostSyncCounter() as syncs: ...`` → ``syncs.total`` and ``syncs.ops`` (a
    ``Counter`` of op names) for the code in the block.

    Counted: the ops in ``_SYNCING``, indexing with a boolean mask, and copies from an
    accelerator to the CPU.

    Args:
        accelerator_only: count only ops on accelerator tensors (what really stalls a GPU
            step; e.g. torch's optimizers read their CPU step counters with ``.item()``, free).
            By default every such op counts, so that a CPU test sees what a GPU would.
    """

    def __init__(self, accelerator_only: bool = False) -> None:
        super().__init__()
        self.accelerator_only = accelerator_only
        self.ops: Counter[str] = Counter()

    @property
    def total(self) -> int:
        """Number of host syncs seen so far."""
        return sum(self.ops.values())

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        """Record ``func`` when it syncs, then run it."""
        kwargs = kwargs or {}
        name = func.overloadpacket.__name__
        if self.accelerator_only and not any(isinstance(a, torch.Tensor) and
                                             a.device.type != 'cpu' for a in args):
            return func(*args, **kwargs)
        if name in _SYNCING:
            self.ops[name] += 1
        elif name == 'index' and any(isinstance(i, torch.Tensor) and i.dtype == torch.bool
                                     for i in (args[1] if len(args) > 1 else ())):
            self.ops['boolean index'] += 1
        elif name in ('_to_copy', 'copy_') and self._to_host(name, args, kwargs):
            self.ops['copy to host'] += 1
        return func(*args, **kwargs)

    @staticmethod
    def _to_host(name: str, args: tuple, kwargs: dict) -> bool:
        """Whether a copy op moves accelerator data to the CPU."""
        if name == 'copy_':
            dst, src = args[0], args[1]
            return dst.device.type == 'cpu' and isinstance(src, torch.Tensor) and \
                src.device.type != 'cpu'
        device = kwargs.get('device')
        return device is not None and torch.device(device).type == 'cpu' and \
            args[0].device.type != 'cpu'
