# Linear probe of a PerA ViT-S/16 (13-band S2 L1C) on EuroSAT-MS, 224 px: the frozen
# backbone's normed CLS token (384-d) -> a linear layer. The backbone is the EMA teacher of
# the PerA run (extract_backbone.py's default for checkpoints with a teacher):
#   eossl-extract-backbone work_dirs/pera_vits16/epoch_200.pth \
#       checkpoints/pera_vits16_s2_backbone.pth
_base_ = [
    './_base_/datasets/eurosat_ms.py',
    './_base_/schedules/linear_probe_100e.py',
    './_base_/default_runtime.py',
]

checkpoint = 'checkpoints/pera_vits16_s2_backbone.pth'

model = dict(
    freeze_backbone=True,
    backbone=dict(
        type='eossl.EOVisionTransformer', arch='small', bands=_base_.S2_BANDS, img_size=224,
        patch_size=16, layer_scale_init_value=None, out_type='cls_token',  # PerA: none
        init_cfg=dict(type='Pretrained', checkpoint=checkpoint, prefix='backbone.')),
    head=dict(in_channels=384),
)
