# UPerNet on the S2 Swin-T of a Dual-SimCLR run (13-band S2 L1C), DFC2020 land cover (8
# classes), 224 px crops, 20k iterations; inputs prepared as Dual-SimCLR pretrains (clip to
# [0, 10000], per-sample band maxima), not z-scored.
#   eossl-extract-backbone work_dirs/dual_simclr_swint/epoch_300.pth \
#       checkpoints/dual_simclr_swint_s2_backbone.pth --modality s2
_base_ = [
    './_base_/models/upernet_swin.py',
    './_base_/datasets/dfc2020_s2.py',
    './_base_/schedules/adamw_poly_20k.py',
    './_base_/default_runtime.py',
]

checkpoint = 'checkpoints/dual_simclr_swint_s2_backbone.pth'
scale = [dict(type='eossl.ClipValues', keys='img', min=0.0, max=10000.0),
         dict(type='eossl.PerSampleMaxNormalize', keys='img')]
train_dataloader = dict(dataset=dict(
    pipeline=[_base_.train_pipeline[0], *scale, *_base_.train_pipeline[1:]]))
test_dataloader = dict(dataset=dict(
    pipeline=[_base_.test_pipeline[0], *scale, *_base_.test_pipeline[1:]]))

model = dict(
    data_preprocessor=dict(type='eossl.EOSegDataPreprocessor', seg_pad_val=255),
    backbone=dict(in_channels=13,
                  init_cfg=dict(type='Pretrained', checkpoint=checkpoint, prefix='backbone.')),
    decode_head=dict(num_classes=_base_.num_classes),
    auxiliary_head=dict(num_classes=_base_.num_classes),
)
optim_wrapper = dict(paramwise_cfg=dict(norm_decay_mult=0.0, custom_keys={
    'absolute_pos_embed': dict(decay_mult=0.0),
    'relative_position_bias_table': dict(decay_mult=0.0)}))
