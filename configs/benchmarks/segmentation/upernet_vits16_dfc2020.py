# UPerNet on a PerA ViT-S/16 (13-band S2 L1C; the EMA teacher, extract_backbone.py's default),
# DFC2020 land cover: the ViT-S/14 recipe with 16 px patches (256 px test patches need no
# padding).
#   eossl-extract-backbone work_dirs/pera_vits16/epoch_200.pth \
#       checkpoints/pera_vits16_s2_backbone.pth
_base_ = ['./upernet_vits14_dfc2020.py']

checkpoint = 'checkpoints/pera_vits16_s2_backbone.pth'

model = dict(
    data_preprocessor=dict(test_cfg=dict(size_divisor=16)),
    backbone=dict(patch_size=16, layer_scale_init_value=None,  # PerA: no LayerScale
                  init_cfg=dict(checkpoint=checkpoint)),
)
