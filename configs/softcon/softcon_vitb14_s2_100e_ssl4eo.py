# SoftCon (arXiv 2405.20462): ViT-B/14 continual pretraining on SSL4EO-S12 S2 L1C (13 bands),
# from DINOv2 ViT-B/14; everything else as the ViT-S/14 recipe. Published linear probe
# BigEarthNet-10 % mAP 86.8, EuroSAT 98.0.
# Needs the local DINOv2 file checkpoints/dinov2_vitb14_pretrain.pth (nothing is downloaded).
_base_ = ['softcon_vits14_s2_100e_ssl4eo.py']

model = dict(
    backbone=dict(arch='base',
                  init_cfg=dict(checkpoint='checkpoints/dinov2_vitb14_pretrain.pth')),
)
