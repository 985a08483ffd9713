"""Two gaps of mmengine's ``FSDPStrategy`` (0.10.7) against current torch.

1. **CPU processes.** ``FSDPStrategy._wrap_model`` always passes ``device_id=int(LOCAL_RANK)``
   to ``MMFullyShardedDataParallel``; torch turns an integer ``device_id`` into ``cuda:<id>`` and
   moves the module there, which fails without CUDA. Torch's FSDP itself shards CPU modules over
   gloo when given ``device_id=torch.device('cpu')``, and a ``device_id`` in the recipe's
   ``strategy.model_wrapper`` overrides mmengine's default: :func:`adapt_fsdp_to_cpu` sets it.
   Remove once mmengine derives ``device_id`` from the device it runs on.
2. **Resuming the optimizer.** ``FSDPStrategy.load_optim_state_dict`` calls
   ``FSDP.optim_state_dict_to_load(state_dict, model, optimizer)``, the torch 2.0 argument
   order; since torch 2.1 it is ``(model, optim, optim_state_dict)``, so every resume of an FSDP
   run fails. :func:`install_fsdp_resume_fix` replaces that one method by one passing keywords.
   Remove once mmengine passes the arguments by name.
"""
import inspect

import torch
from mmengine._strategy import FSDPStrategy
from mmengine.config import Config
from torch.distributed.fsdp import FullyShardedDataParallel

from eossl.supported_versions import MMENGINE, TORCH, require


def adapt_fsdp_to_cpu(cfg: Config) -> bool:
    """On a machine without CUDA, make an FSDP recipe shard CPU modules; True when changed.

    Only ``strategy.model_wrapper.device_id`` is set (to ``'cpu'``), and only when the recipe
    uses ``FSDPStrategy`` and leaves ``device_id`` unset.

    Raises:
        UnsupportedVersionError: mmengine outside the releases this was written for.
    """
    strategy = cfg.get('strategy')
    if torch.cuda.is_available() or not strategy or strategy.get('type') != 'FSDPStrategy':
        return False
    require('mmengine FSDPStrategy device_id on CPU (eossl.compat.fsdp.adapt_fsdp_to_cpu)',
            'mmengine', MMENGINE)
    wrapper = strategy.get('model_wrapper') or dict(type='MMFullyShardedDataParallel')
    if 'device_id' in wrapper:
        return False
    wrapper['device_id'] = 'cpu'
    strategy['model_wrapper'] = wrapper
    return True


def _load_optim_state_dict(self: FSDPStrategy, state_dict: dict) -> None:
    """``FSDPStrategy.load_optim_state_dict`` with torch's current argument names."""
    optim_state_dict = FullyShardedDataParallel.optim_state_dict_to_load(
        model=self.model, optim=self.optim_wrapper.optimizer, optim_state_dict=state_dict)
    self.optim_wrapper.load_state_dict(optim_state_dict)


def install_fsdp_resume_fix() -> bool:
    """Patch ``FSDPStrategy.load_optim_state_dict`` (gap 2 above); True when patched.

    Idempotent, and a no-op with a torch whose ``optim_state_dict_to_load`` still takes the
    state dict first.

    Raises:
        UnsupportedVersionError: mmengine or torch outside the releases this was written for.
    """
    if FSDPStrategy.load_optim_state_dict is _load_optim_state_dict:
        return False
    override = 'mmengine FSDPStrategy.load_optim_state_dict (eossl.compat.fsdp)'
    require(override, 'mmengine', MMENGINE)
    require(override, 'torch', TORCH)
    first = list(inspect.signature(FullyShardedDataParallel.optim_state_dict_to_load).parameters)
    if first[:2] != ['model', 'optim']:
        return False
    FSDPStrategy.load_optim_state_dict = _load_optim_state_dict
    return True
