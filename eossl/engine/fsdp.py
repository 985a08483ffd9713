"""FSDP integration of eossl models: which modules become shards, and whole-parameter access.

mmengine's ``FSDPStrategy`` wraps the model in ``MMFullyShardedDataParallel``; its
``auto_wrap_policy`` decides which submodules get their own flat, sharded parameter (an FSDP
unit). Parameters of one unit are gathered only while that unit runs, so wrapping every
transformer block keeps at most one block unsharded at a time: that is what lets ViT-L/G train
where a whole replica does not fit.
"""
from collections.abc import Iterator
from contextlib import contextmanager

from torch import nn
from torch.distributed.fsdp import FullyShardedDataParallel

from eossl.models.backbones.vit_blocks import Block
from eossl.registry import FUNCTIONS


@FUNCTIONS.register_module()
def transformer_block_wrap_policy(module: nn.Module, recurse: bool,
                                  nonwrapped_numel: int) -> bool:
    """FSDP auto-wrap policy: one FSDP unit per eossl transformer ``Block``.

    Select it with ``strategy=dict(type='FSDPStrategy', model_wrapper=dict(
    auto_wrap_policy=dict(type='eossl.transformer_block_wrap_policy')))``. Everything outside
    the blocks (patch embedding, position embedding, norms, heads) stays in the root unit.
    Blocks are only called through ``forward`` (also by the sparse ``encode`` path), which is
    where FSDP gathers a unit's parameters.

    Args:
        module: the module FSDP asks about.
        recurse: True while FSDP is deciding whether to descend into ``module``.
        nonwrapped_numel: parameters of ``module`` not yet in a unit (unused).
    """
    return True if recurse else isinstance(module, Block)


@contextmanager
def full_params(model: nn.Module) -> Iterator[None]:
    """Inside the block every parameter of ``model`` is whole; changes are written back.

    Under FSDP (``use_orig_params=True``) a parameter is, between steps, only this rank's slice
    of its unit's flat parameter, and slices of two modules of the same shape need not line up
    (e.g. a student parameter and its EMA teacher copy). Code that combines parameters of
    different modules must run here. It gathers the whole model on every rank for the duration
    (memory: one full replica). Outside FSDP this does nothing.
    """
    if not isinstance(model, FullyShardedDataParallel):
        yield
        return
    with FullyShardedDataParallel.summon_full_params(model, writeback=True):
        yield
