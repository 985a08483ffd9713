# schedule (MMEarth): AdamW (0.9, 0.95), wd 0.05 except biases, norms and log-variances (1-D
# parameters; GRN keeps decay as in the official code), lr 1.5e-4 x batch / 256, 40 warm-up
# epochs then cosine to 0, 200 epochs. MergedGroupsOptimWrapperConstructor (eossl option, same
# per-parameter lr / weight decay) merges the 190 per-parameter groups of paramwise_cfg into one
# group per setting, so foreach / fused optimizer kernels run over many tensors at once
optim_wrapper = dict(
    type='OptimWrapper',
    constructor='eossl.MergedGroupsOptimWrapperConstructor',
    optimizer=dict(type='AdamW', lr=1.5e-4, betas=(0.9, 0.95), weight_decay=0.05),
    paramwise_cfg=dict(flat_decay_mult=0.0, custom_keys={'.grn.': dict(decay_mult=1.0)}))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-4, by_epoch=True, begin=0, end=40,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=160, eta_min=0.0, by_epoch=True, begin=40, end=200,
         convert_to_iter_based=True),
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=200)
# lr = 1.5e-4 x (GPUs x batch_size) / 256 = 2.4e-3 at the global batch 4096
auto_scale_lr = dict(base_batch_size=256, enable=True)
