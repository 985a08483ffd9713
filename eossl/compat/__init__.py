"""Workarounds for gaps in eossl's third-party stack; ``import eossl`` calls :func:`install` once.

One module per gap, each saying why the gap exists and from which versions it can be removed:

- :mod:`.mmcv_ops`: pure-PyTorch ``mmcv.ops.point_sample`` / ``sigmoid_focal_loss`` when mmcv-lite
  has no compiled ops, so that ``import mmseg.models`` works.
- :mod:`.checkpoint`: mmengine checkpoints load under torch's ``weights_only=True`` default, and
  anything else pickled in a checkpoint is refused with a clear :class:`UnsafeCheckpointError`.
- :mod:`.distributed`: :class:`DeviceAgnosticDDP`, a model wrapper that lets mmengine's Runner use
  DistributedDataParallel on CPU (gloo). It is registered in ``eossl.registry.MODEL_WRAPPERS``,
  whose lazy location is this package, and :func:`init_cpu_process_group`, which starts the
  gloo process group that mmengine's launcher cannot start without CUDA.
- :mod:`.fsdp`: :func:`adapt_fsdp_to_cpu`, so that mmengine's ``FSDPStrategy`` shards CPU
  modules instead of moving them to ``cuda:<LOCAL_RANK>``, and a fix of its optimizer loading
  on resume (mmengine uses torch 2.0's argument order).
"""
from .checkpoint import UnsafeCheckpointError, install_checkpoint_safety
from .distributed import DeviceAgnosticDDP, init_cpu_process_group
from .fsdp import adapt_fsdp_to_cpu, install_fsdp_resume_fix
from .mmcv_ops import install_mmcv_ops_fallback

__all__ = ['install', 'DeviceAgnosticDDP', 'UnsafeCheckpointError', 'init_cpu_process_group',
           'adapt_fsdp_to_cpu']


def install() -> None:
    """Install every shim; safe to call more than once (each step is idempotent)."""
    install_mmcv_ops_fallback()
    install_checkpoint_safety()
    install_fsdp_resume_fix()
