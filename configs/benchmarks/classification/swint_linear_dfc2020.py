# Linear probe of the S2 Swin-T of a Dual-SimCLR run (13-band S2 L1C) on DFC2020 scene
# classification (majority class, 8 classes), 224 px crops: frozen pooled 768-d features ->
# a linear layer. Inputs are prepared as Dual-SimCLR pretrains (clip to [0, 10000], per-sample
# band maxima), not z-scored.
#   eossl-extract-backbone work_dirs/dual_simclr_swint/epoch_300.pth \
#       checkpoints/dual_simclr_swint_s2_backbone.pth --modality s2
_base_ = [
    './_base_/datasets/dfc2020_s2.py',
    './_base_/schedules/linear_probe_100e.py',
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
    freeze_backbone=True,
    data_preprocessor=dict(_delete_=True, type='eossl.EOClsDataPreprocessor'),
    backbone=dict(
        type='SwinTransformer',
        arch=dict(embed_dims=96, depths=[2, 2, 6, 2], num_heads=[3, 6, 12, 24]),
        img_size=224, patch_size=4, window_size=7, in_channels=13,
        out_indices=(3, ),
        init_cfg=dict(type='Pretrained', checkpoint=checkpoint, prefix='backbone.')),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(in_channels=768),
)
