# Linear probe of an MP-MAE ConvNeXt V2-atto (12 S2 bands without B10) on BigEarthNet, 128 px:
# the frozen backbone's pooled, layer-normed last stage (320-d) -> a linear layer, mAP.
# The stem must match pretraining (MMEarth stem, patch 16 = stem stride 2).
#   eossl-extract-backbone work_dirs/mpmae_atto/epoch_200.pth \
#       checkpoints/mpmae_convnextv2-atto_backbone.pth
_base_ = [
    './_base_/datasets/bigearthnet_s2.py',
    './_base_/schedules/linear_probe_100e.py',
    './_base_/default_runtime.py',
]

checkpoint = 'checkpoints/mpmae_convnextv2-atto_backbone.pth'

model = dict(
    freeze_backbone=True,
    backbone=dict(type='eossl.ConvNeXtV2FCMAE', arch='atto', in_channels=12,
                  patch_size=16, stem_type='mmearth', out_indices=(3, ),
                  gap_before_final_norm=True,
                  init_cfg=dict(type='Pretrained', checkpoint=checkpoint, prefix='backbone.')),
    head=dict(in_channels=320),
)
