"""Workarounds for gaps in eossl's third-party stack; ``import eossl`` calls :func:`install` once.

One module per gap, each saying why the gap exists and from which versions it can be removed:

- :mod:`.mmcv_ops`: pure-PyTorch ``mmcv.ops.point_sample`` / ``sigmoid_focal_loss`` when mmcv-lite
  has no compiled ops, so that ``import mmseg.models`` works.
- every override names the releases it was written for (:mod:`eossl.supported_versions`) and
  raises :class:`UnsupportedVersionError` outside them.
- :mod:`.distributed`: :class:`DeviceAgnosticDDP`, a model wrapper that lets mmengine's Runner use
  DistributedDataParallel on CPU (gloo). It is registered in ``eossl.registry.MODEL_WRAPPERS``,
  whose lazy location is this package, and :func:`init_cpu_process_group`, which starts the
  gloo process group that mmengine's launcher cannot start without CUDA.
- :mod:`.fsdp`: :func:`adapt_fsdp_to_cpu`, so that mmengine's ``FSDPStrategy`` shards CPU
  modules instead of moving them to ``cuda:<LOCAL_RANK>``, and a fix of its optimizer loading
  on resume (mmengine uses torch 2.0's argument order).
- :mod:`.package_configs`: ``eossl::<recipe>.py`` resolves in ``Config.fromfile`` and in
  ``_base_`` lists, from an installed wheel and from an editable checkout.
- :mod:`.collate_scope`: the ``_scope_`` mmengine adds to an inherited ``eossl::`` recipe's
  ``collate_fn`` selects the function's registry instead of reaching it as a keyword.
"""
from eossl.supported_versions import UnsupportedVersionError

from .collate_scope import install_collate_scope_fix
from .distributed import (
    DeviceAgnosticDDP,
    close_process_group,
    init_cpu_process_group,
    init_shared_gpu_process_group,
)
from .fsdp import adapt_fsdp_to_cpu, install_fsdp_resume_fix
from .mmcv_ops import install_mmcv_ops_fallback
from .package_configs import install_package_config_lookup, package_config_path

__all__ = ['install', 'DeviceAgnosticDDP', 'init_cpu_process_group',
           'init_shared_gpu_process_group', 'close_process_group', 'adapt_fsdp_to_cpu',
           'package_config_path', 'UnsupportedVersionError']


def install() -> None:
    """Install every shim; safe to call more than once (each step is idempotent)."""
    install_mmcv_ops_fallback()
    install_fsdp_resume_fix()
    install_package_config_lookup()
    install_collate_scope_fix()
