# PerA ViT-G/16 (the official largest PerA backbone; eossl's 'giant' preset: 1536-d, 40 blocks,
# GELU MLP) on SSL4EO-S12 S2 L1C shards, FSDP over every process (see ../_base_/strategies) and
# activation checkpointing in the backbone blocks (with_cp). Global batch 16 per process x 64
# processes = 1024, the batch lr=1e-3 is set for; run on another number of processes with
# --auto-scale-lr to scale the lr linearly. Add --amp on GPUs with bfloat16.
_base_ = ['pera_vits16_s2_200e_ssl4eo.py', '../_base_/strategies/fsdp.py']

arch = 'giant'  # head widths and patch size follow the backbone
model = dict(
    backbone=dict(arch=arch, with_cp=True),
)
# data: SSL4EO-S12 S2 L1C shards (see pera_vits16_s2_200e_ssl4eo-shards.py); same pipeline
train_dataloader = dict(
    batch_size=16,
    sampler=None,
    dataset=dict(_delete_=True, type='ShardedDataset', data_root='data/ssl4eo-s12-shards/s2c',
                 shuffle_buffer=2000, skip_invalid=True, pipeline=_base_.train_pipeline),
)
auto_scale_lr = dict(base_batch_size=1024, enable=False)
# clip by the gradient norm over all shards (mmengine's OptimWrapper would clip each rank's shard)
optim_wrapper = dict(type='EOOptimWrapper')
