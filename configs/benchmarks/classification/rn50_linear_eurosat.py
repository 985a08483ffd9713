# Linear probe of a ResNet-50 (13-band S2 L1C; SoftCon, or the S2 branch of Dual-SimCLR) on
# EuroSAT-MS, 224 px: the frozen backbone's globally pooled last stage (2048-d) -> a linear
# layer; BatchNorm keeps its pretrained statistics. Published SoftCon RN50: 98.6 %.
#   eossl-extract-backbone work_dirs/softcon_rn50/epoch_100.pth \
#       checkpoints/softcon_rn50_s2_backbone.pth
# (a Dual-SimCLR run: add --modality s2)
_base_ = [
    './_base_/datasets/eurosat_ms.py',
    './_base_/schedules/linear_probe_100e.py',
    './_base_/default_runtime.py',
]

checkpoint = 'checkpoints/softcon_rn50_s2_backbone.pth'

model = dict(
    freeze_backbone=True,
    backbone=dict(type='eossl.EOResNet', depth=50, bands=_base_.S2_BANDS, out_indices=(3, ),
                  init_cfg=dict(type='Pretrained', checkpoint=checkpoint, prefix='backbone.')),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(in_channels=2048),
)
