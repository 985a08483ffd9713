"""A DistributedDataParallel model wrapper that mmengine's Runner can also use on CPU (gloo).

Why: mmengine's ``Runner.wrap_model`` (up to 0.10.7 at least) always passes
``device_ids=[LOCAL_RANK]`` to DDP, both for its default wrapper and as a default argument for
any DDP subclass named in ``model_wrapper_cfg``, while torch's DistributedDataParallel requires
``device_ids=None`` for a CPU module. Remove once mmengine passes ``device_ids`` only for
accelerator modules.
"""
from typing import Any

import torch
import torch.distributed as dist
import torch.nn as nn
from mmengine.model import MMDistributedDataParallel

from eossl.registry import MODEL_WRAPPERS
from eossl.supported_versions import MMENGINE, require


@MODEL_WRAPPERS.register_module()
class DeviceAgnosticDDP(MMDistributedDataParallel):
    """``MMDistributedDataParallel`` that drops ``device_ids``/``output_device`` for CPU modules.

    Select it with ``model_wrapper_cfg=dict(type='eossl.DeviceAgnosticDDP')``; with parameters
    on an accelerator it behaves exactly like ``MMDistributedDataParallel``.

    Args:
        module: the model to replicate; its parameters decide the placement.
        detect_anomalous_params: as in ``MMDistributedDataParallel``.
        **kwargs: DistributedDataParallel options (``broadcast_buffers``,
            ``find_unused_parameters``, ``device_ids``...).
    """

    def __init__(self, module: nn.Module, detect_anomalous_params: bool = False,
                 **kwargs: Any) -> None:
        require('mmengine Runner.wrap_model device_ids (eossl.DeviceAgnosticDDP)', 'mmengine',
                MMENGINE)
        parameters = list(module.parameters())
        if parameters and all(p.device.type == 'cpu' for p in parameters):
            kwargs.pop('device_ids', None)
            kwargs.pop('output_device', None)
        elif parameters and parameters[0].device.type == 'cuda':
            # ranks sharing a GPU: the module's device, not mmengine's LOCAL_RANK
            kwargs['device_ids'] = [parameters[0].device.index]
            kwargs.pop('output_device', None)
        super().__init__(module=module, detect_anomalous_params=detect_anomalous_params,
                         **kwargs)


def init_cpu_process_group(launcher: str) -> bool:
    """Start a gloo process group for a CPU-only distributed run; True when one was started.

    Why: mmengine's ``_init_dist_pytorch`` calls ``torch.cuda.set_device(local_rank)`` before
    creating the process group, which fails on a machine without CUDA. The Runner skips its own
    setup when a group already exists, so starting it here (from torchrun's ``RANK``,
    ``WORLD_SIZE``, ``MASTER_ADDR``, ``MASTER_PORT``) is enough. Only the ``pytorch`` launcher
    (torchrun) is handled; slurm and mpi runs are GPU jobs.
    """
    if launcher != 'pytorch' or torch.cuda.is_available() or dist.is_initialized():
        return False
    require('mmengine CPU process group (eossl.compat.init_cpu_process_group)', 'mmengine',
            MMENGINE)
    dist.init_process_group(backend='gloo')
    return True


def init_shared_gpu_process_group(launcher: str, device: int) -> bool:
    """Select CUDA ``device`` and start a gloo process group; True when one was started.

    For more processes on a host than it has GPUs (two test ranks on a one-GPU machine):
    mmengine's launcher would select ``cuda:<LOCAL_RANK>``, which does not exist, and NCCL
    refuses two ranks on one GPU, so the ranks share ``device`` over gloo. Only the ``pytorch``
    launcher (torchrun) is handled.
    """
    if launcher != 'pytorch' or dist.is_initialized():
        return False
    require('mmengine shared-GPU process group (eossl.compat.init_shared_gpu_process_group)',
            'mmengine', MMENGINE)
    torch.cuda.set_device(device)
    dist.init_process_group(backend='gloo')
    return True


def close_process_group() -> None:
    """End a distributed run: wait for every rank, then destroy the default process group.

    Why: mmengine's Runner leaves the group to interpreter exit, where a rank that finishes first
    tears gloo down while its peers still finish their last checkpoint; seen here as an
    intermittent ``terminate called without an active exception`` (SIGABRT) of one rank after a
    run that had trained and saved. No-op outside a distributed run.
    """
    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()
