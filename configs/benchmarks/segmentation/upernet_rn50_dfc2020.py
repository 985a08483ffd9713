# UPerNet on a ResNet-50 (13-band S2 L1C; SoftCon, or Dual-SimCLR's S2 branch with
# extract_backbone.py --modality s2), DFC2020 land cover (8 classes), 224 px crops, 20k
# iterations.
#   eossl-extract-backbone work_dirs/softcon_rn50/epoch_100.pth \
#       checkpoints/softcon_rn50_s2_backbone.pth
_base_ = [
    './_base_/models/upernet_resnet.py',
    './_base_/datasets/dfc2020_s2.py',
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
