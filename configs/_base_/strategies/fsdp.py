# FSDP (parameters, gradients and optimizer state sharded over all processes) through mmengine's
# FlexibleRunner + FSDPStrategy; tools/train.py builds a FlexibleRunner for any recipe with a
# `strategy`. Each eossl transformer Block is its own FSDP unit, so only one block is whole at a
# time. Checkpoints hold the full (unsharded) state dict, written by rank 0: they resume under
# FSDP and load into any model like DDP checkpoints (docs/distributed.md).
strategy = dict(
    type='FSDPStrategy',
    model_wrapper=dict(
        type='MMFullyShardedDataParallel',
        auto_wrap_policy=dict(type='eossl.transformer_block_wrap_policy'),
        sharding_strategy='FULL_SHARD',
        use_orig_params=True),  # keeps parameter names, frozen teacher parameters allowed
    state_dict_cfg='full',
)
