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
    """Inside the block the parameters of ``model``'s root FSDP unit are whole; changes are
    written back. The parameters of the other units stay this rank's shard.

    Under FSDP (``use_orig_params=True``) a parameter is, between steps, only this rank's slice
    of its unit's flat parameter. Two modules of one structure in units of their own (a
    student's transformer ``Block`` and its EMA teacher's copy, each a unit under
    :func:`transformer_block_wrap_policy`) are sharded alike, so their slices line up and can be
    combined shard by shard with no communication. The root unit holds everything else (patch
    and position embeddings, norms, projectors of both student and teacher) in one flat
    parameter, where slices of a student parameter and its teacher copy need not line up: only
    that unit is gathered here (memory: the root unit, a few % of a ViT-L/G, instead of a full
    replica). Outside FSDP this does nothing.
    """
    if not isinstance(model, FullyShardedDataParallel):
        yield
        return
    with FullyShardedDataParallel.summon_full_params(model, recurse=False, writeback=True):
        yield
