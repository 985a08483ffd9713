# UPerNet on a ResNet-50 (13-band S2 L1C) for SEN12MS land cover (IGBP merged into the 8
# DFC2020 classes), 224 px crops of the 256 px patches, 20k iterations.
_base_ = [
    './_base_/models/upernet_resnet.py',
    './_base_/datasets/sen12ms_s2.py',
    './_base_/schedules/adamw_poly_20k.py',
    './_base_/default_runtime.py',
]

checkpoint = 'checkpoints/softcon_rn50_s2_backbone.pth'

model = dict(
    data_preprocessor=_base_.data_preprocessor,
    backbone=dict(depth=50, bands=_base_.S2_BANDS,
                  init_cfg=dict(type='Pretrained', checkpoint=checkpoint, prefix='backbone.')),
    decode_head=dict(num_classes=_base_.num_classes),
    auxiliary_head=dict(num_classes=_base_.num_classes),
)
