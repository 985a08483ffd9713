# UPerNet on an MP-MAE ConvNeXt V2-atto, DFC2020 land cover (8 classes), 224 px crops, 20k
# iterations. MP-MAE pretrains on 12 bands (no B10): they are read by name from the 13-band
# L1C files, and normalized with the L1C statistics of those 12 bands.
#   eossl-extract-backbone work_dirs/mpmae_atto/epoch_200.pth \
#       checkpoints/mpmae_convnextv2-atto_backbone.pth
_base_ = [
    './_base_/models/upernet_convnextv2.py',
    './_base_/datasets/dfc2020_s2.py',
    './_base_/schedules/adamw_poly_20k.py',
    './_base_/default_runtime.py',
]

S2_12 = 's2_l2a'
checkpoint = 'checkpoints/mpmae_convnextv2-atto_backbone.pth'
channels = [40, 80, 160, 320]  # atto


def _bands12(pipeline: list) -> list:
    return [dict(step, bands=S2_12) if step['type'] == 'eossl.LoadMultiBandImage' else step
            for step in pipeline]


train_dataloader = dict(dataset=dict(pipeline=_bands12(_base_.train_pipeline)))
test_dataloader = dict(dataset=dict(pipeline=_bands12(_base_.test_pipeline)))

model = dict(
    data_preprocessor=dict(_base_.data_preprocessor, bands=S2_12),
    backbone=dict(arch='atto', in_channels=12,
                  init_cfg=dict(type='Pretrained', checkpoint=checkpoint, prefix='backbone.')),
    decode_head=dict(in_channels=channels, num_classes=_base_.num_classes),
    auxiliary_head=dict(in_channels=channels[2], num_classes=_base_.num_classes),
)
optim_wrapper = dict(optimizer=dict(lr=1e-4), paramwise_cfg=dict(norm_decay_mult=0.0))
