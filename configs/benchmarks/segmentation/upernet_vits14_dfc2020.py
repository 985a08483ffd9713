# UPerNet on a SoftCon ViT-S/14 (13-band S2 L1C), DFC2020 land cover (8 classes), 224 px
# training crops, 20k iterations; blocks 4, 6, 8, 12 -> MultiLevelNeck -> UPerNet. Test patches
# (256 px) are padded to a multiple of 14 and the prediction cropped back.
#   eossl-extract-backbone work_dirs/softcon_vits14/epoch_100.pth \
#       checkpoints/softcon_vits14_s2_backbone.pth
_base_ = [
    './_base_/models/upernet_vit.py',
    './_base_/datasets/dfc2020_s2.py',
    './_base_/schedules/adamw_poly_20k.py',
    './_base_/default_runtime.py',
]

checkpoint = 'checkpoints/softcon_vits14_s2_backbone.pth'
embed_dims = 384

model = dict(
    data_preprocessor=dict(_base_.data_preprocessor, test_cfg=dict(size_divisor=14)),
    backbone=dict(arch='small', patch_size=14, bands=_base_.S2_BANDS,
                  init_cfg=dict(type='Pretrained', checkpoint=checkpoint, prefix='backbone.')),
    neck=dict(in_channels=[embed_dims] * 4, out_channels=embed_dims),
    decode_head=dict(in_channels=[embed_dims] * 4, num_classes=_base_.num_classes),
    auxiliary_head=dict(in_channels=embed_dims, num_classes=_base_.num_classes),
)
# no weight decay on the position embedding, tokens and norms
optim_wrapper = dict(paramwise_cfg=dict(norm_decay_mult=0.0, custom_keys={
    'pos_embed': dict(decay_mult=0.0), 'cls_token': dict(decay_mult=0.0)}))
