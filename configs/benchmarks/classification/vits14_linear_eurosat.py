# Linear probe of a SoftCon ViT-S/14 (13-band S2 L1C) on EuroSAT-MS, 224 px: the frozen
# backbone's normed CLS token (384-d) -> a linear layer. Published SoftCon ViT-S/14: 97.1 %.
# The backbone file comes from a SoftCon pretraining checkpoint:
#   eossl-extract-backbone work_dirs/softcon_vits14/epoch_100.pth \
#       checkpoints/softcon_vits14_s2_backbone.pth
# (an official SoftCon release converts with eossl-softcon-to-eossl
#  --prefix backbone.). Fine-tuning: vits14_finetune_eurosat.py.
_base_ = [
    './_base_/datasets/eurosat_ms.py',
    './_base_/schedules/linear_probe_100e.py',
    './_base_/default_runtime.py',
]

checkpoint = 'checkpoints/softcon_vits14_s2_backbone.pth'

model = dict(
    freeze_backbone=True,
    backbone=dict(
        type='eossl.EOVisionTransformer', arch='small', bands=_base_.S2_BANDS, img_size=224,
        patch_size=14, layer_scale_init_value=1e-5, out_type='cls_token',
        init_cfg=dict(type='Pretrained', checkpoint=checkpoint, prefix='backbone.')),
    head=dict(in_channels=384),
)
