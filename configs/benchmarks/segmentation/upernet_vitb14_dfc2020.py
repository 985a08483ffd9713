# UPerNet on a SoftCon ViT-B/14 (13-band S2 L1C), DFC2020 land cover: the ViT-S/14 recipe with
# the base ViT (768-d).
_base_ = ['./upernet_vits14_dfc2020.py']

checkpoint = 'checkpoints/softcon_vitb14_s2_backbone.pth'
embed_dims = 768

model = dict(
    backbone=dict(arch='base', init_cfg=dict(checkpoint=checkpoint)),
    neck=dict(in_channels=[embed_dims] * 4, out_channels=embed_dims),
    decode_head=dict(in_channels=[embed_dims] * 4),
    auxiliary_head=dict(in_channels=embed_dims),
)
