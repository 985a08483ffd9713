# Full fine-tuning of a Dual-SimCLR S2 Swin-T on DFC2020 scenes: the linear-probe recipe with a
# trainable backbone (drop-path 0.1), AdamW 1e-4, gradient clipping at 5, 5 warm-up epochs then
# cosine decay.
_base_ = ['./swint_linear_dfc2020.py']

model = dict(freeze_backbone=False, backbone=dict(drop_path_rate=0.1))
optim_wrapper = dict(
    _delete_=True, type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-4, betas=(0.9, 0.999), weight_decay=0.05),
    paramwise_cfg=dict(norm_decay_mult=0.0, custom_keys={
        'absolute_pos_embed': dict(decay_mult=0.0),
        'relative_position_bias_table': dict(decay_mult=0.0)}),
    clip_grad=dict(max_norm=5.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=True, begin=0, end=5,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=95, eta_min=1e-6, by_epoch=True, begin=5, end=100),
]
